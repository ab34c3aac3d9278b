"""What the app loads at start is frozen out of the garbage collector's full collections while
it serves (each walked some 350,000 long-lived objects, 170-200 ms with the GIL held: a stall
of every request in the process), and given back when it stops."""

from __future__ import annotations

import gc

from fastapi.testclient import TestClient


def test_startup_objects_are_frozen_while_serving_and_released_at_shutdown(accord_env) -> None:  # type: ignore[no-untyped-def]
    from accord.assembly import create_app

    gc.unfreeze()
    with TestClient(create_app()) as client:
        assert client.get("/healthz").status_code == 200
        frozen = gc.get_freeze_count()
        tracked = len(gc.get_objects())
        assert frozen > 100_000  # the modules, routes and data loaded at start
        assert tracked < frozen / 2  # what a full collection still walks
    assert gc.get_freeze_count() == 0  # a stopped app's objects can be collected again
