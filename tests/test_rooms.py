"""Hosted drills: joining roles through the host's gateway, deciding, isolation, resuming."""

import json
import socket
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from drills.play.live import LiveDrill
from drills.play.session import DrillSession
from drills.port.feeds import FeedError
from drills.port.views import DecisionRecorded, DecisionRefused, InjectArrived
from drills.port.visibility import journal_views
from drills.rooms import gateway
from drills.rooms.gateway import RoomGateway
from drills.rooms.messages import Poll
from drills.rooms.remote import GatewayClient, HostUnreachable, RemoteDrill
from drills.store import rooms
from drills.store.database import Store
from engine.bundle import Bundle
from engine.events import Decision, Kind

Room = tuple[LiveDrill, "Wall", Store]


class Wall:
    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t


class Recording(GatewayClient):
    """A client that keeps every answer it got: what crossed the socket, verbatim."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.received: list[str] = []

    def _call(self, request: dict[str, Any]) -> dict[str, Any]:
        reply = super()._call(request)
        self.received.append(json.dumps(reply, ensure_ascii=False))
        return reply


def hosted(store: Store, bundle: Bundle, mode: str = "training") -> tuple[LiveDrill, Wall]:
    session = DrillSession.create(store, bundle, seed=1, mode=mode, bots={})
    wall = Wall()
    return LiveDrill(session, 60, now=wall, paused=True, room_bots="ideal"), wall


@pytest.fixture
def room(tmp_path: Path, flood_bundle: Bundle, request: pytest.FixtureRequest) -> Iterator[Room]:
    """A hosted flood drill served by its gateway: (live, wall, store)."""
    mode = getattr(request, "param", "training")
    store = Store(tmp_path / "d.db")
    live, wall = hosted(store, flood_bundle, mode)
    with RoomGateway(store.path, live.session.drill_id):
        yield live, wall, store


def test_join_refusals(room: Room) -> None:
    live, _, _ = room
    code = live.session.drill_id
    with pytest.raises(rooms.RoomError, match="no drill with code 'nope' is being hosted now"):
        RemoteDrill("nope", "hydrology", "Li")
    with pytest.raises(rooms.RoomError, match="no role 'mayor' in plan flood-municipal"):
        RemoteDrill(code, "mayor", "Li")
    first = RemoteDrill(code, "hydrology", "Li")
    with pytest.raises(rooms.RoomError, match="role 'hydrology' is already taken by Li"):
        RemoteDrill(code, "hydrology", "Wang")
    with pytest.raises(rooms.RoomError, match=r"already taken by Li \(connected\)"):
        RemoteDrill(code, "hydrology", "Li")  # the same name cannot take over a live seat
    with pytest.raises(rooms.RoomError, match="name is missing"):
        RemoteDrill(code, "commander", " ")
    first.client.close()  # Li's console closed (crashed): Li may come back
    for _ in range(50):  # once the gateway has noticed the closed connection
        try:
            assert RemoteDrill(code, "hydrology", "Li").role == "hydrology"
            break
        except rooms.RoomError:
            time.sleep(0.05)
    else:
        pytest.fail("the seat was never released")


def test_a_second_host_for_the_same_drill_is_refused(room: Room) -> None:
    live, _, store = room
    with pytest.raises(rooms.RoomError, match="is already hosted by another process"):
        RoomGateway(store.path, live.session.drill_id)


def test_decisions_go_through_the_gateway_and_come_back_answered(room: Room) -> None:
    live, wall, host_store = room
    code = live.session.drill_id
    remote = RemoteDrill(code, "hydrology", "Li")
    live.resume()  # the trainer starts: unjoined roles go to the ideal bot
    assert "hydrology" not in live.session.bots and live.session.bots["commander"] == "ideal"
    live.advance()
    seen = remote.advance()
    assert any(isinstance(v, InjectArrived) and v.inject_id == "I01" for v in seen)
    assert remote.public.injects["I01"].text.en.startswith("06:00")
    remote.submit(Decision("hydrology", "issue_forecast", {"crest": 34.9}))
    remote.submit(Decision("hydrology", "activate_response", {"level": "IV"}))  # not allowed
    wall.t += 1
    live.advance()
    answers = [v for v in remote.advance() if isinstance(v, DecisionRecorded | DecisionRefused)]
    assert [type(v) for v in answers] == [DecisionRecorded, DecisionRefused]
    assert isinstance(answers[1], DecisionRefused)
    assert "does not authorise City hydrology bureau" in answers[1].reason.en
    assert "预案未授权市水文局" in answers[1].reason.zh
    assert isinstance(answers[0], DecisionRecorded) and answers[0].participant == "Li"
    journaled = [i for _, i in host_store.inputs(code) if getattr(i, "participant", None) == "Li"]
    applied = host_store.db.execute(
        "SELECT COUNT(*) FROM submissions WHERE drill_id = ? AND status = 'applied'", [code]
    ).fetchone()[0]
    assert len(journaled) == applied == 2
    assert remote.now == live.now


def _raw(code: str) -> tuple[socket.socket, Callable[[dict[str, Any]], Any]]:
    sock = gateway.connect(code)
    reader = sock.makefile("rb")

    def ask(request: dict[str, Any]) -> Any:
        sock.sendall(json.dumps(request).encode() + b"\n")
        return json.loads(reader.readline())

    return sock, ask


def test_one_trainee_cannot_submit_as_another(room: Room) -> None:
    live, _, store = room
    code = live.session.drill_id
    sock, ask = _raw(code)
    try:
        assert ask({"op": "submit", "action": "issue_forecast"}) == {
            "ok": False,
            "error": "join the drill first",
        }
        assert ask({"op": "join", "code": code, "role": "hydrology", "name": "Li"})["ok"]
        # a request naming another role or person is still Li's, as hydrology
        reply = ask(
            {"op": "submit", "action": "activate_response", "role": "commander", "name": "Wang"}
        )
        assert reply["ok"]
        row = store.db.execute(
            "SELECT role, name FROM submissions WHERE id = ?", [reply["id"]]
        ).fetchone()
        assert row == ("hydrology", "Li")
        again = ask({"op": "join", "code": code, "role": "commander", "name": "Li"})
        assert again == {"ok": False, "error": "this connection has joined as hydrology already"}
    finally:
        sock.close()
    with pytest.raises(rooms.RoomError, match=r"Wang has not joined drill .* as hydrology"):
        rooms.submit(store, code, "hydrology", "Wang", Decision("hydrology", "issue_forecast"))


def test_a_resent_decision_is_stored_once(room: Room) -> None:
    live, _, store = room
    code = live.session.drill_id
    sock, ask = _raw(code)
    try:
        ask({"op": "join", "code": code, "role": "hydrology", "name": "Li"})
        first = ask({"op": "submit", "key": "k1", "action": "issue_forecast"})
        second = ask({"op": "submit", "key": "k1", "action": "issue_forecast"})
    finally:
        sock.close()
    assert first["id"] == second["id"]
    count = store.db.execute("SELECT COUNT(*) FROM submissions WHERE drill_id = ?", [code])
    assert count.fetchone()[0] == 1


@pytest.mark.parametrize("room", ["exam"], indirect=True)
def test_exam_mode_sends_no_answer_key_and_nothing_of_other_roles(room: Room) -> None:
    """Everything that crossed the socket, verbatim: no expectation, no rule, no
    controller background, no other role's inject, no score before the end."""
    live, wall, _ = room
    code = live.session.drill_id
    client = Recording(code)
    remote = RemoteDrill(code, "duty_officer", "Li", client=client)
    live.resume()
    for _ in range(30):
        wall.t += 60  # an hour of scenario time per step
        live.advance()
        remote.advance()
    kinds = {e.kind for e in remote.events}
    assert kinds <= {
        Kind.DRILL_STARTED,
        Kind.INJECT_DELIVERED,
        Kind.STATE_CHANGED,
        Kind.DECISION_ACCEPTED,
        Kind.DECISION_REFUSED,
        Kind.HINT_SENT,
        Kind.DRILL_ENDED,
    }
    compiled = live.session.compiled
    wire = "\n".join(client.received)
    for exp_id in compiled.expectations:
        assert f'"{exp_id}"' not in wire
    for rule in compiled.plan.rules:
        assert f'"{rule.id}"' not in wire
    for inject in compiled.injects.values():
        if "duty_officer" not in inject.to:
            assert f'"{inject.id}"' not in wire and inject.text.zh not in wire
        if inject.background:
            assert inject.background.zh not in wire and inject.background.en not in wire
    assert compiled.scenario.background is None or compiled.scenario.background.en not in wire
    assert '"expects"' not in wire and '"rules"' not in wire and '"score"' not in wire
    assert remote.public.expectations == {}
    assert any(e.kind == Kind.EXPECTATION_MET for e in live.engine.events)  # the host has them
    # after the end: this trainee's own results, and no report (the answer key stays)
    assert live.ended
    results = remote.results()
    assert results.mine is not None and results.mine["rating"] in "PSMU"
    assert all(f.role in ("duty_officer", None) for f in results.findings)
    with pytest.raises(FeedError, match="shares the report at the debrief"):
        remote.report_html("en")


def test_training_mode_shows_only_the_roles_own_expectations(room: Room) -> None:
    live, wall, _ = room
    code = live.session.drill_id
    remote = RemoteDrill(code, "hydrology", "Li")
    live.resume()
    for _ in range(10):
        wall.t += 60
        live.advance()
        remote.advance()
    revealed = remote.public.expectations
    assert revealed and {spec.role for spec in revealed.values()} == {"hydrology"}
    for event in remote.events:
        for exp_id in event.data.get("expectations", []):
            assert live.session.compiled.expectations[exp_id].role == "hydrology"
        if event.kind.startswith("expectation_"):
            assert event.data["expectation"] in revealed


def test_a_hosted_drill_resumes_with_every_decision_once(
    tmp_path: Path, flood_bundle: Bundle
) -> None:
    """The host dies with one decision applied and one in the trainee's outbox; after
    resume the console reconnects by itself and the second is applied, once."""
    path = tmp_path / "d.db"
    host_store = Store(path)
    live, wall = hosted(host_store, flood_bundle)
    code = live.session.drill_id
    room = RoomGateway(path, code).start()
    remote = RemoteDrill(code, "hydrology", "Li")
    live.resume()
    live.advance()
    remote.submit(Decision("hydrology", "issue_forecast"))
    wall.t += 5
    live.advance()
    room.stop()  # the host dies here
    host_store.close()
    assert not journal_views(remote.advance()) and not remote.connected
    remote.submit(Decision("hydrology", "issue_forecast", note="made while the host is down"))
    assert len(remote.outbox) == 1

    host_store = Store(path)
    resumed = DrillSession.resume(host_store, code)
    live = LiveDrill(resumed, 60, now=wall, paused=True, room_bots="ideal")
    assert live.started
    with RoomGateway(path, code):
        remote._next_try = 0  # do not wait for the once-a-second retry
        remote.advance()
        assert remote.connected and not remote.outbox
        live.resume()
        wall.t += 1
        live.advance()
        answers = [v for v in remote.advance() if isinstance(v, DecisionRecorded)]
    inputs = [i for _, i in host_store.inputs(code) if getattr(i, "participant", None) == "Li"]
    assert [i.note for i in inputs] == ["", "made while the host is down"]
    assert [v.note for v in answers] == ["made while the host is down"]


def test_an_unreachable_host_is_a_clear_error() -> None:
    client = GatewayClient("0000dead")
    with pytest.raises(HostUnreachable, match="the host of drill 0000dead is not reachable"):
        client.call(Poll(after=0))
