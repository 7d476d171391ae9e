"""Waiting for a condition, never for a time: every test that waits on another process,
thread or file polls the condition it needs and fails saying what never happened."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def wait_for(check: Callable[[], T], what: str, timeout: float = 30, every: float = 0.02) -> T:
    """Poll ``check()`` until it returns something true, and return that; fail naming
    ``what`` after ``timeout`` seconds. ``every`` is the poll interval, not a wait."""
    deadline = time.monotonic() + timeout
    while not (value := check()):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(every)
    return value
