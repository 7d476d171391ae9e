"""The words the record uses for a drill's purpose and status, and the one rule of which
drills are rated (no heavy imports: the command line reads them for its options without
opening a database).

Only an ended drill that started is rated. A drill still running or interrupted is not
finished: a score of its first half would read as a poor result. A hosted drill ended
before its trainer pressed Start was never played: "0.0 U, must be re-run" would say its
trainees failed. A void drill keeps its record but leaves the ratings."""

from __future__ import annotations

from dataclasses import dataclass

# What a drill was played for. ``test`` runs (authoring, CI) and runs where bots played
# every role are left out of trends unless asked for.
PURPOSES = ("practice", "exam", "official", "test")

# What history and reports show: ``interrupted`` is a ``running`` drill that no live
# process plays any more (killed, or its console quit before the end: ``resume`` it);
# ``void`` a drill a manager voided, with the reason. Only ended, started drills are rated.
STATUSES = ("running", "interrupted", "ended", "void")
# What a drills row holds (interrupted and void are derived from the lock and the voiding).
RECORDED_STATUSES = ("running", "ended")
MODES = ("training", "exam")  # exam: nothing is judged on screen until the end


@dataclass(frozen=True)
class Standing:
    status: str  # drills.store.kinds.STATUSES
    started: bool
    void_reason: str | None = None

    @property
    def rated(self) -> bool:
        return self.status == "ended" and self.started

    @property
    def withheld(self) -> str | None:
        """Why there is no rating (label key of ``drills.port.labels``), None if rated."""
        if self.status == "void":
            return "void"
        if self.status in ("running", "interrupted"):
            return "not_finished"
        if not self.started:
            return "not_started"
        return None
