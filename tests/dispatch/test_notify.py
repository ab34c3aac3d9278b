"""The board hub wakes on PostgreSQL NOTIFY (SQLite keeps polling): the hub's poll interval is
set far beyond the test's patience, so only a notification can deliver the event in time."""

from __future__ import annotations

import asyncio
import contextlib
import threading

import pytest

from accord.dispatch.routes import dispatch as routes
from accord.dispatch.service import Actor, DispatchService
from tests.dispatch.conftest import CENTRE
from tests.helpers import run_coroutine


async def _first_event_after(service: DispatchService, write: threading.Thread,
                             timeout: float) -> list[dict]:
    hub = routes._Hub(service)
    hub.listeners = 1
    task = hub.task = asyncio.create_task(hub.poll())
    try:
        await asyncio.sleep(0.5)  # the hub is listening (or has polled once)
        write.start()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not hub.recent and loop.time() < deadline:
            await asyncio.sleep(0.05)
        return list(hub.recent)
    finally:
        hub.listeners = 0
        write.join()
        task.cancel()  # it may be waiting for the next notification
        with contextlib.suppress(asyncio.CancelledError):
            await task


def test_board_hub_wakes_on_a_new_event(service: DispatchService, officer: Actor,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    postgres = service.database.dialect == "postgresql"
    # PostgreSQL: no polling at all within the test's 5 s; SQLite: the documented 0.2 s poll.
    monkeypatch.setattr(routes, "SAFETY_CHECK_SECONDS", 60.0 if postgres else 5.0)
    monkeypatch.setattr(routes, "POLL_SECONDS", 60.0 if postgres else 0.2)
    write = threading.Thread(target=lambda: service.create_incident(
        officer, type_code="noise", lat=CENTRE[0], lon=CENTRE[1]))
    events = run_coroutine(_first_event_after(service, write, timeout=5.0))
    assert [e["kind"] for e in events] == ["incident-created"]


def test_notification_is_sent_at_commit_only_on_postgresql(service: DispatchService,
                                                           officer: Actor) -> None:
    from accord.dispatch.notify import Listener, notify

    if service.database.dialect != "postgresql":
        # SQLite has no LISTEN/NOTIFY: boards poll (the hub test above covers both), and
        # notify() must send nothing at all there.
        from sqlalchemy import event

        sent: list[str] = []

        def record(*args: object) -> None:
            sent.append(str(args[2]))

        with service.database.session() as session:
            engine = session.get_bind()
            event.listen(engine, "before_cursor_execute", record)
            try:
                notify(session)
            finally:
                event.remove(engine, "before_cursor_execute", record)
        assert sent == []
        return

    async def run() -> tuple[bool, bool]:
        listener = Listener(service.database.url)
        await listener.start()
        try:
            quiet = await listener.wait(0.3)
            await asyncio.to_thread(service.create_incident, officer, type_code="theft",
                                    lat=CENTRE[0], lon=CENTRE[1])
            woken = await listener.wait(5.0)
        finally:
            await listener.close()
        return quiet, woken

    assert run_coroutine(run()) == (False, True)


def test_a_commit_in_this_process_wakes_the_hub_at_once(service: DispatchService,
                                                       officer: Actor,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """No poll within the test's patience on either database: on SQLite only the after-commit
    hint of this process can deliver the event in time (on PostgreSQL NOTIFY does too)."""
    monkeypatch.setattr(routes, "SAFETY_CHECK_SECONDS", 60.0)
    monkeypatch.setattr(routes, "POLL_SECONDS", 60.0)
    write = threading.Thread(target=lambda: service.create_incident(
        officer, type_code="noise", lat=CENTRE[0], lon=CENTRE[1]))
    events = run_coroutine(_first_event_after(service, write, timeout=5.0))
    assert [e["kind"] for e in events] == ["incident-created"]


def test_a_rolled_back_event_wakes_nobody(service: DispatchService, officer: Actor) -> None:
    from accord.dispatch import notify as notify_module

    woken: list[int] = []
    stop = notify_module.on_local_commit(lambda: woken.append(1))
    try:
        with pytest.raises(RuntimeError), service.database.write_session() as session:
            notify_module.notify(session)
            raise RuntimeError("rolled back")
        with service.database.write_session() as session:
            pass  # a later commit that wrote no event
        assert woken == []
        service.create_incident(officer, type_code="noise", lat=CENTRE[0], lon=CENTRE[1])
        assert woken == [1]
    finally:
        stop()
    service.create_incident(officer, type_code="noise", lat=CENTRE[0], lon=CENTRE[1])
    assert woken == [1]


def test_streams_resume_from_memory_or_are_sent_to_the_table(service: DispatchService,
                                                            officer: Actor) -> None:
    hub = routes._Hub(service)
    start = hub.last
    events = [{"id": start + i, "kind": "k", "n": i} for i in (1, 2, 4)]  # a gap: id 3
    hub.take(events)
    chunk, last = hub.after(start + 1)  # type: ignore[misc]
    assert last == start + 4
    assert chunk == routes._frame(events[1]) + routes._frame(events[2])
    assert hub.after(start + 4) == ("", start + 4)
    assert hub.after(start - 1) is None  # memory does not reach back: read the table


def test_a_fresh_gap_in_event_ids_holds_back_the_events_after_it(
        service: DispatchService) -> None:
    """Boards resume after the last id they saw: an event committed out of id order (PostgreSQL)
    must not be handed out above a missing id that may still commit; an old gap (a rolled-back
    write) is passed."""
    from datetime import timedelta

    from accord.core.db import utcnow
    from accord.dispatch.models import DispatchEvent

    start = service.last_event_id()
    now = utcnow()
    with service.database.session() as session:
        for offset, age in ((1, 0), (2, 0), (4, 0)):  # id start+3 "still committing"
            session.add(DispatchEvent(id=start + offset, at=now - timedelta(seconds=age),
                                      kind="test", actor="t", data={}))
    assert [e["id"] for e in service.events_after(start)] == [start + 1, start + 2]
    with service.database.session() as session:
        late = session.get(DispatchEvent, start + 4)
        assert late is not None
        late.at = now - timedelta(seconds=10)  # the gap is old: a write that rolled back
    assert [e["id"] for e in service.events_after(start)] == [start + 1, start + 2, start + 4]
    with service.database.session() as session:  # the missing event arrives in time
        session.add(DispatchEvent(id=start + 3, at=now, kind="test", actor="t", data={}))
    assert [e["id"] for e in service.events_after(start + 2)] == [start + 3, start + 4]
