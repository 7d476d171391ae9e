"""One trainee client for the load test: joins a role and answers its injects through the
store, exactly as a trainee console does (RemoteDrill), driven by a simple policy.

    python -m benchmarks.room_client CODE ROLE NAME DB
"""

from __future__ import annotations

import sys
import time

from drills import rooms
from drills.remote import RemoteDrill
from drills.store import Store
from engine.events import Decision, Kind


def main() -> None:
    code, role, name, db = sys.argv[1:5]
    store = Store(db)
    rooms.join(store, code, role, name)
    remote = RemoteDrill(store, code, role, name)
    compiled = remote.session.compiled
    while not remote.ended:
        for event in remote.advance():
            if event.kind != Kind.INJECT_DELIVERED:
                continue
            for exp_id in event.data.get("expectations", []):
                spec = compiled.expectations[exp_id]
                if spec.role == role:
                    remote.submit(
                        Decision(role, spec.action, dict(spec.params), note=f"answer to {exp_id}")
                    )
        time.sleep(0.02)
    store.close()


if __name__ == "__main__":
    main()
