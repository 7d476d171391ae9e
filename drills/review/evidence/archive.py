"""The pack's zip archive, read in memory only and with limits.

Nothing is ever extracted to disk, so a member named ``../../etc/passwd`` cannot land
anywhere; such names are refused all the same (a pack never has one), as are duplicate
names, more members than a pack has, and archives or members that would unpack to more
than ``MAX_BYTES`` (a zip bomb is stopped at the limit, whatever its headers claim).
"""

from __future__ import annotations

import io
import zipfile
import zlib
from datetime import datetime
from pathlib import Path, PurePosixPath

MAX_BYTES = 200 * 1024 * 1024  # the archive, and everything in it unpacked
MAX_MEMBERS = 64


class PackError(Exception):
    """The file is not a pack this Drillhall can read: one line, what is wrong."""


def _unsafe(name: str) -> bool:
    path = PurePosixPath(name)
    return (
        not name
        or name.startswith(("/", "\\"))
        or "\\" in name
        or "\x00" in name
        or ":" in name
        or any(part in ("..", ".") for part in path.parts)
        or any(ord(ch) < 32 for ch in name)
    )


def read_archive(path: Path) -> dict[str, bytes]:
    """Every member of the zip at ``path``, in memory. ``PackError`` if it is not a zip,
    is damaged, encrypted, too big, or has an unsafe or duplicate member name; an
    ``OSError`` if the file cannot be read at all."""
    size = path.stat().st_size
    if size > MAX_BYTES:
        raise PackError(f"{size:,} bytes, more than a pack may be ({MAX_BYTES:,})")
    try:
        with zipfile.ZipFile(path) as archive:
            return _members(archive)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, EOFError) as exc:
        raise PackError(f"not a readable zip archive ({' '.join(str(exc).split())})") from None
    except NotImplementedError as exc:  # a compression method zipfile does not have
        raise PackError(f"unsupported zip member ({exc})") from None
    except RuntimeError as exc:  # encrypted members
        raise PackError(f"unreadable zip member ({exc})") from None


def _members(archive: zipfile.ZipFile) -> dict[str, bytes]:
    infos = archive.infolist()
    if len(infos) > MAX_MEMBERS:
        raise PackError(f"{len(infos)} members, more than a pack has ({MAX_MEMBERS})")
    seen: set[str] = set()
    for info in infos:
        if _unsafe(info.filename):
            raise PackError(f"unsafe member name {info.filename!r} (a pack never has one)")
        if info.filename in seen:
            raise PackError(f"member {info.filename!r} appears twice")
        seen.add(info.filename)
    claimed = sum(info.file_size for info in infos)
    if claimed > MAX_BYTES:
        raise PackError(f"members would unpack to {claimed:,} bytes, more than {MAX_BYTES:,}")
    budget = MAX_BYTES
    members: dict[str, bytes] = {}
    for info in infos:
        with archive.open(info) as member:
            data = member.read(budget + 1)  # never more than the limit, whatever the header
        if len(data) > budget:
            raise PackError(f"member {info.filename!r} unpacks beyond {MAX_BYTES:,} bytes")
        budget -= len(data)
        members[info.filename] = data
    return members


def write_archive(members: dict[str, bytes], when: datetime) -> bytes:
    """A zip of ``members`` in the given order, compressed, dated ``when``."""
    stamp = (when.year, when.month, when.day, when.hour, when.minute, when.second)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            info = zipfile.ZipInfo(name, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, data)
    return buffer.getvalue()
