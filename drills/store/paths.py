"""Where Drillhall keeps its data by default (overridable with --db or DRILLHALL_DB)."""

from __future__ import annotations

import os
from pathlib import Path

from platformdirs import user_data_dir


def data_dir() -> Path:
    return Path(user_data_dir("drillhall", appauthor=False))


def default_db_path() -> Path | str:
    """``$DRILLHALL_DB`` (a file, or a ``postgresql://`` URL), else drillhall.db in the
    user data directory."""
    override = os.environ.get("DRILLHALL_DB")
    if override:
        return override if override.startswith(("postgresql:", "postgres:")) else Path(override)
    return data_dir() / "drillhall.db"


def reports_dir() -> Path:
    """Where a console writes the reports it opens (a joined trainee has no database)."""
    return Path(user_data_dir("drillhall", appauthor=False)) / "reports"


# File systems where SQLite's write-ahead log (shared memory between processes on one
# machine) and its locks cannot be trusted.
NETWORK_FILESYSTEMS = frozenset(
    {
        "nfs", "nfs4", "cifs", "smb3", "smbfs", "9p", "afs", "ceph", "glusterfs", "lustre",
        "gpfs", "ocfs2", "gfs2", "davfs", "fuse.sshfs", "fuse.glusterfs", "fuse.rclone",
        "fuse.s3fs", "fuse.gcsfuse", "fuse.davfs", "fuse.cephfs",
    }
)  # fmt: skip


def network_filesystem(path: Path, mounts: Path = Path("/proc/mounts")) -> str | None:
    """The file system type when ``path`` lives on a network file system (None: local,
    or not known). Reads the mount table (Linux); the longest mount point above wins."""
    try:
        table = mounts.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    try:
        where = path.resolve().parent
    except (OSError, RuntimeError):
        return None
    best, fstype = -1, ""
    for line in table.splitlines():
        fields = line.split()
        if len(fields) < 3:
            continue
        point = Path(_unescape(fields[1]))
        if (where == point or point in where.parents) and len(point.parts) > best:
            best, fstype = len(point.parts), fields[2]
    return fstype if fstype in NETWORK_FILESYSTEMS else None


def _unescape(field: str) -> str:
    """/proc/mounts writes space, tab, newline and backslash as octal escapes."""
    for code, char in (("\\040", " "), ("\\011", "\t"), ("\\012", "\n"), ("\\134", "\\")):
        field = field.replace(code, char)
    return field
