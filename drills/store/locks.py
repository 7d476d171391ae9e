"""Advisory file locks next to the database (``fcntl.flock``).

Two uses: one process at a time applies migrations to a new or older database (30
first uses at once raced), and one process at a time plays a drill (a second ``resume``
of a drill whose process is alive would put two writers on one journal). The kernel
drops a lock when its process dies, so a killed drill can be resumed at once.

A lock file is removed by its holder when it lets go. Whoever locks checks afterwards
that the path still names the file it locked, and starts again if not, so removing the
file never lets two holders in.
"""

from __future__ import annotations

import contextlib
import logging
import os
import time
import weakref
from pathlib import Path

try:
    import fcntl
except ImportError:  # pragma: no cover - not on Windows; locking is then advisory only
    fcntl = None  # type: ignore[assignment]

log = logging.getLogger(__name__)


class LockHeld(Exception):
    """Another process holds the lock; ``holder`` is its process id when it wrote one."""

    def __init__(self, path: Path, holder: int | None) -> None:
        super().__init__(f"{path} is held by process {holder or '?'}")
        self.path = path
        self.holder = holder


def _release(fd: int, path: str) -> None:
    """Remove the lock file while still holding it, then let go (also at exit or when the
    lock object is collected)."""
    try:
        here = os.stat(path)
        mine = os.fstat(fd)
        if (here.st_dev, here.st_ino) == (mine.st_dev, mine.st_ino):
            os.unlink(path)
    except OSError as exc:
        log.debug("lock file %s not removed: %s", path, exc)
    finally:
        with contextlib.suppress(OSError):  # closing also drops the lock
            os.close(fd)


class FileLock:
    """An exclusive ``flock`` on ``path``, created 0600 if need be."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._finalizer: weakref.finalize[..., FileLock] | None = None

    @property
    def held(self) -> bool:
        return self._finalizer is not None and self._finalizer.alive

    def acquire(self, *, wait: float = 0.0) -> FileLock:
        """Take the lock, waiting up to ``wait`` seconds (0: only try once).

        Raises ``LockHeld`` if another process keeps it, OSError if the file cannot be
        made (a read-only directory, permission denied)."""
        if self.held:
            return self
        deadline = time.monotonic() + wait
        while True:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            try:
                if self._try_lock(fd, deadline):
                    if self._still_named(fd):
                        break
                    os.close(fd)  # removed by the previous holder: lock the new file
                    continue
                holder = self._holder(fd)
            except BaseException:
                os.close(fd)
                raise
            os.close(fd)
            raise LockHeld(self.path, holder)
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._finalizer = weakref.finalize(self, _release, fd, str(self.path))
        return self

    def release(self) -> None:
        if self._finalizer is not None:
            self._finalizer()
            self._finalizer = None

    def __enter__(self) -> FileLock:
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()

    @staticmethod
    def _try_lock(fd: int, deadline: float) -> bool:
        if fcntl is None:  # pragma: no cover
            return True
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return True
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    return False
                time.sleep(0.01)

    def _still_named(self, fd: int) -> bool:
        try:
            here = os.stat(self.path)
        except FileNotFoundError:
            return False
        mine = os.fstat(fd)
        return (here.st_dev, here.st_ino) == (mine.st_dev, mine.st_ino)

    @staticmethod
    def _holder(fd: int) -> int | None:
        try:
            return int(os.pread(fd, 32, 0).split()[0])
        except (OSError, ValueError, IndexError):
            return None


def is_locked(path: Path) -> bool:
    """Whether a live process (this one included) holds the lock at ``path``: a shared
    probe that never creates the file and never waits."""
    if fcntl is None:  # pragma: no cover
        return False
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except FileNotFoundError:
        return False  # its holder let go and removed it
    except OSError as exc:
        log.warning("cannot probe lock %s: %s", path, exc)
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)  # closing drops the probe's own lock
    return False
