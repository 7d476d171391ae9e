"""One trainee client for the load test: joins a role through the host's gateway and
answers its injects, exactly as a trainee console does (RemoteDrill).

    DRILLHALL_SEAT_TOKEN=TOKEN python -m benchmarks.room_client CODE ROLE NAME SCENARIO PLAN OUT

The answers come from the scenario file, which this bot reads itself: the host sends a
trainee nothing of the answer key. At the end it writes one JSON line to OUT: how many
decisions it made, and for each the seconds from submit to seeing the engine's answer.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

from drills.port.views import DecisionRecorded, InjectArrived
from drills.rooms.remote import HostUnreachable, RemoteDrill
from engine.bundle import load_bundle
from engine.events import Decision

JOIN_PATIENCE = 120.0  # seconds: a loaded machine may start the host slowly


def join(code: str, role: str, name: str) -> RemoteDrill:
    """Join as soon as the host serves the drill (retrying only while it is unreachable),
    with the seat token from the environment (as `drillhall join` reads it)."""
    deadline = time.monotonic() + JOIN_PATIENCE
    token = os.environ["DRILLHALL_SEAT_TOKEN"]
    while True:
        try:
            return RemoteDrill(code, role, name, token=token)
        except HostUnreachable:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def main() -> None:
    code, role, name, scenario, plan, out = sys.argv[1:7]
    compiled = load_bundle(Path(scenario), Path(plan)).compiled
    remote = join(code, role, name)
    sent: dict[str, float] = {}  # note → wall time submitted
    latencies: list[float] = []
    while not remote.ended:
        for view in remote.advance():
            if isinstance(view, DecisionRecorded) and view.note in sent:
                latencies.append(time.time() - sent.pop(view.note))
            if not isinstance(view, InjectArrived):
                continue
            for spec in compiled.expectations.values():
                if spec.inject == view.inject_id and spec.role == role:
                    note = f"answer to {spec.id}"
                    sent[note] = time.time()
                    remote.submit(Decision(role, spec.action, dict(spec.params), note=note))
        time.sleep(0.02)
    made = len(latencies) + len(sent)
    with open(out, "a", encoding="utf-8") as fh:
        fh.write(json.dumps({"role": role, "made": made, "answered": latencies}) + "\n")


if __name__ == "__main__":
    main()
