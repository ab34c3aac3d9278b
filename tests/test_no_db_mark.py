"""The no_db mark (tests/conftest.py): derived from the fixtures, refused where a database is
reached, so the PostgreSQL pass (which deselects it) loses no database coverage."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from tests import conftest


class _Item:
    def __init__(self, fixtures: tuple[str, ...], module_file: str, marked: bool = False) -> None:
        self.nodeid = f"fake::{'-'.join(fixtures) or 'none'}"
        self.fixturenames = fixtures
        self.module = SimpleNamespace(__file__=module_file)
        self.marks = ["no_db"] if marked else []

    def get_closest_marker(self, name: str) -> object | None:
        return name if name in self.marks else None

    def add_marker(self, mark: pytest.MarkDecorator) -> None:
        self.marks.append(mark.name)


def test_database_free_tests_are_marked_and_database_tests_are_not(tmp_path: Path) -> None:
    plain = tmp_path / "test_plain.py"
    plain.write_text("def test_x(): pass\n")
    reads_url = tmp_path / "test_reads.py"
    # (split, or this module itself would read as one that reads the URL)
    reads_url.write_text("import os\nURL = os.environ.get('ACCORD_TEST_" + "DATABASE_URL')\n")
    items = [_Item(("tmp_path",), str(plain)), _Item(("accord_env", "database_url"), str(plain)),
             _Item(("demo_template",), str(plain)), _Item((), str(reads_url))]
    conftest.pytest_collection_modifyitems(None, items)  # type: ignore[arg-type]
    assert [item.marks for item in items] == [["no_db"], [], [], []]


def test_a_hand_written_mark_on_a_database_test_stops_the_run(tmp_path: Path) -> None:
    plain = tmp_path / "test_plain.py"
    plain.write_text("def test_x(): pass\n")
    items = [_Item(("client", "accord_env", "database_url"), str(plain), marked=True)]
    with pytest.raises(pytest.UsageError, match="database_url"):
        conftest.pytest_collection_modifyitems(None, items)  # type: ignore[arg-type]


def test_this_suites_marks(request: pytest.FixtureRequest) -> None:
    assert request.node.get_closest_marker("no_db") is not None


def test_a_database_test_is_not_marked(request: pytest.FixtureRequest, database) -> None:
    assert request.node.get_closest_marker("no_db") is None


def test_a_late_database_request_fails_in_a_no_db_test(request: pytest.FixtureRequest) -> None:
    with pytest.raises(pytest.fail.Exception, match="no_db"):
        request.getfixturevalue("database")
