"""The end of a live drill: its final score, computed once from the journal and saved once.

A console must not decide the final score: a live-score worker that was cancelled at the
end can still deliver a stale score, and a screen that saves what it last received saved
that one (history said 100.0 P while the journal rescored 66.7 M). The application layer
owns the end instead: when the engine reports the end, ``DrillEnding`` scores the
journal's events in a thread of its own, with its own database connection, and saves the
score exactly once. Everyone who asks gets that score.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path

from drills.store.database import Store
from engine.compiled import CompiledScenario
from engine.events import Event
from scoring.profile import DEFAULT_PROFILE
from scoring.score import DrillScore, score_drill

log = logging.getLogger(__name__)


class DrillEnding:
    """Scores and saves an ended drill once, off the caller's thread."""

    def __init__(
        self,
        db_path: str | Path,  # a file, or a postgresql:// URL (Store.target)
        drill_id: str,
        compiled: CompiledScenario,
        *,
        score: Callable[[CompiledScenario, list[Event]], DrillScore] | None = None,
    ) -> None:
        self.db_path = db_path
        self.drill_id = drill_id
        self.compiled = compiled
        self._score = score or (lambda c, e: score_drill(c, e, DEFAULT_PROFILE))
        self._done = threading.Event()
        self._started = False
        self._lock = threading.Lock()
        self.result: DrillScore | None = None
        self.rated = True
        self.error: BaseException | None = None

    def start(self, events: list[Event], ended_at: int) -> None:
        """Begin scoring ``events`` (the whole journal, ended); later calls do nothing."""
        with self._lock:
            if self._started:
                return
            self._started = True
        snapshot = list(events)
        thread = threading.Thread(
            target=self._finish, args=(snapshot, ended_at), name="drill-ending", daemon=True
        )
        thread.start()

    @property
    def started(self) -> bool:
        return self._started

    def _finish(self, events: list[Event], ended_at: int) -> None:
        try:
            score = self._score(self.compiled, events)
            store = Store(self.db_path)  # sqlite connections belong to one thread
            try:
                store.finish(self.drill_id, ended_at)
                self.rated = store.started(self.drill_id)
                if self.rated:  # a drill ended before it started is not rated
                    store.save_score(self.drill_id, score)
            finally:
                store.close()
            self.result = score
        except BaseException as exc:  # kept for whoever waits: the console shows it
            log.exception("scoring or saving the end of drill %s failed", self.drill_id)
            self.error = exc
        finally:
            self._done.set()

    def wait(self, timeout: float | None = None) -> DrillScore | None:
        """The saved final score (None: not started, or not ready within ``timeout``).

        Raises what went wrong if scoring or saving failed."""
        if not self._started or not self._done.wait(timeout):
            return None
        if self.error is not None:
            raise self.error
        return self.result
