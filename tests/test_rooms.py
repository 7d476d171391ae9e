"""Hosted drills: joining roles, deciding through the store, isolation, resuming."""

import pytest

from drills import rooms
from drills.live import LiveDrill
from drills.remote import RemoteDrill
from drills.session import DrillSession
from drills.store import Store
from engine.events import Decision, Kind


class Wall:
    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t


def hosted(store, bundle, mode="training"):
    session = DrillSession.create(store, bundle, seed=1, mode=mode, bots={})
    wall = Wall()
    return LiveDrill(session, 60, now=wall, paused=True, room_bots="ideal"), wall


def test_join_refusals(store, flood_bundle):
    live, _ = hosted(store, flood_bundle)
    code = live.session.drill_id
    with pytest.raises(rooms.RoomError, match="no drill with code 'nope'"):
        rooms.join(store, "nope", "hydrology", "Li")
    with pytest.raises(rooms.RoomError, match="no role 'mayor' in plan flood-municipal"):
        rooms.join(store, code, "mayor", "Li")
    assert rooms.join(store, code, "hydrology", "Li") == code
    with pytest.raises(rooms.RoomError, match="role 'hydrology' is already taken by Li"):
        rooms.join(store, code, "hydrology", "Wang")
    with pytest.raises(rooms.RoomError, match="give your name"):
        rooms.join(store, code, "commander", " ")


def test_decisions_go_through_the_store_and_come_back_answered(tmp_path, flood_bundle):
    host_store = Store(tmp_path / "d.db")
    live, wall = hosted(host_store, flood_bundle)
    code = live.session.drill_id
    trainee_store = Store(tmp_path / "d.db")  # another process would open its own
    rooms.join(trainee_store, code, "hydrology", "Li")
    remote = RemoteDrill(trainee_store, code, "hydrology", "Li")
    live.resume()  # the trainer starts: unjoined roles go to the ideal bot
    assert "hydrology" not in live.session.bots and live.session.bots["commander"] == "ideal"
    live.advance()
    seen = remote.advance()
    assert any(e.kind == Kind.INJECT_DELIVERED and e.data["inject"] == "I01" for e in seen)
    remote.submit(Decision("hydrology", "issue_forecast", {"crest": 34.9}))
    remote.submit(Decision("hydrology", "activate_response", {"level": "IV"}))  # not allowed
    wall.t += 1
    live.advance()
    answers = [e for e in remote.advance() if e.kind.startswith("decision")]
    assert [e.kind for e in answers] == [Kind.DECISION_ACCEPTED, Kind.DECISION_REFUSED]
    assert "does not authorise hydrology" in answers[1].data["reason"]
    assert answers[0].data["participant"] == "Li"
    journaled = [i for _, i in host_store.inputs(code) if getattr(i, "participant", None) == "Li"]
    applied = host_store.db.execute(
        "SELECT COUNT(*) FROM submissions WHERE drill_id = ? AND status = 'applied'", [code]
    ).fetchone()[0]
    assert len(journaled) == applied == 2
    assert rooms.read_clock(trainee_store, code).t == live.now


def test_one_trainee_cannot_submit_as_another(store, flood_bundle):
    live, _ = hosted(store, flood_bundle)
    code = live.session.drill_id
    rooms.join(store, code, "hydrology", "Li")
    with pytest.raises(rooms.RoomError, match=r"Wang has not joined drill .* as hydrology"):
        rooms.submit(store, code, "hydrology", "Wang", Decision("hydrology", "issue_forecast"))
    with pytest.raises(rooms.RoomError, match=r"Li has not joined drill .* as commander"):
        rooms.submit(store, code, "commander", "Li", Decision("commander", "activate_response"))


def test_exam_mode_trainees_see_no_answer_key_and_no_other_roles(tmp_path, flood_bundle):
    host_store = Store(tmp_path / "d.db")
    live, wall = hosted(host_store, flood_bundle, mode="exam")
    code = live.session.drill_id
    rooms.join(host_store, code, "duty_officer", "Li")
    remote = RemoteDrill(Store(tmp_path / "d.db"), code, "duty_officer", "Li")
    live.resume()
    for _ in range(30):
        wall.t += 60  # an hour of scenario time per step
        live.advance()
        remote.advance()
    kinds = {e.kind for e in remote.engine.events}
    assert kinds <= {
        Kind.DRILL_STARTED,
        Kind.INJECT_DELIVERED,
        Kind.STATE_CHANGED,
        Kind.DECISION_ACCEPTED,
        Kind.DECISION_REFUSED,
        Kind.HINT_SENT,
        Kind.DRILL_ENDED,
    }
    for event in remote.engine.events:
        assert "expectations" not in event.data
        if event.kind == Kind.INJECT_DELIVERED:
            assert "duty_officer" in event.data["to"]
    everything = live.engine.events
    assert any(e.kind == Kind.EXPECTATION_MET for e in everything)  # the host has them


def test_a_hosted_drill_resumes_with_every_applied_decision_once(tmp_path, flood_bundle):
    path = tmp_path / "d.db"
    host_store = Store(path)
    live, wall = hosted(host_store, flood_bundle)
    code = live.session.drill_id
    trainee = Store(path)
    rooms.join(trainee, code, "hydrology", "Li")
    remote = RemoteDrill(trainee, code, "hydrology", "Li")
    live.resume()
    live.advance()
    remote.submit(Decision("hydrology", "issue_forecast"))
    wall.t += 5
    live.advance()
    remote.submit(Decision("hydrology", "issue_forecast", note="queued while the host is down"))
    host_store.close()  # the host dies here: the second submission is not applied yet

    host_store = Store(path)
    resumed = DrillSession.resume(host_store, code)
    live = LiveDrill(resumed, 60, now=wall, paused=True, room_bots="ideal")
    assert live.started
    live.resume()
    wall.t += 600
    live.advance()
    inputs = [i for _, i in host_store.inputs(code) if getattr(i, "participant", None) == "Li"]
    assert [i.note for i in inputs] == ["", "queued while the host is down"]
    pending = host_store.db.execute(
        "SELECT COUNT(*) FROM submissions WHERE drill_id = ? AND status = 'pending'", [code]
    ).fetchone()[0]
    assert pending == 0
