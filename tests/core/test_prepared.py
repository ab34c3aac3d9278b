"""``Prepared`` statements and ``Database.write_cursor``: the gateway's and the ledger's hot path
runs SQLAlchemy-compiled statements on the driver's cursor. What they store and read must be
exactly what ``connection.execute`` stores and reads (same stored representation, same Python
values back), on SQLite and PostgreSQL; a failed transaction must keep nothing and raise
SQLAlchemy's errors (the web turns ``OperationalError`` into a 503)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import bindparam, exc, insert, select, text

from accord.core.db import Database, PoolSize, Prepared
from accord.core.gateway.models import Decision, LedgerEntry, UserCertificate
from accord.core.gateway.service import Caller, GatewayRequest
from accord.core.governance import get_governance
from accord.core.registry import Capability, InputSpec, ModelCard, ModelOutput, RiskTier
from accord.core.roles import Role


@pytest.fixture(params=["pipeline-by-address", "pipeline-forced"])
def database(request: pytest.FixtureRequest, database: Database) -> Iterator[Database]:
    """Each test twice on PostgreSQL: with pipeline mode as the server's address decides (off
    for the test server on this machine, see ``accord.core.db.pipelines``) and forced on, as
    for a server on another machine. SQLite has no pipeline mode: both runs are the same."""
    if request.param == "pipeline-by-address":
        assert not database.pipelined  # the test server is local
        yield database
        return
    forced = Database(database.url, pipeline=True)
    assert forced.pipelined == (forced.dialect == "postgresql")
    try:
        yield forced
    finally:
        forced.dispose()


def _decision(decision_id: str, actor_id: int) -> dict[str, Any]:
    """A decision row with every awkward value: non-ASCII and nested JSON, a float, a
    timestamp given in another time zone (stored as UTC), a None."""
    return {
        "id": decision_id, "capability_id": "test.echo", "capability_version": "1",
        "model_version": "t1", "actor_id": actor_id, "actor_role": "officer",
        "purpose": "victim-assistance", "legal_basis": "consent", "case_ref": "C-1",
        "subject_key": "", "status": "completed",
        "inputs": {"text": "Grüße 你好 \"quoted\"", "n": [1, 2.5, None, {"a": True}]},
        "output": {"upper": "GRÜSSE"}, "explanation": "upper-cased", "confidence": 0.1 + 0.2,
        "policy_version": "p1", "policy_reasons": ["allow-officer"],
        "review_status": "not-required", "salt": "ab" * 32,
        "created_at": datetime(2026, 3, 1, 12, 30, 15, 123456,
                               tzinfo=timezone(timedelta(hours=8))),
        "ledger_seq": 7,
    }


KEYS = tuple(_decision("x", 1))


def _stored(database: Database, decision_id: str) -> tuple[Any, ...]:
    """The row as the driver returns it (no type processing): the stored representation."""
    with database.engine.connect() as connection:
        row = connection.execute(
            text("SELECT * FROM decisions WHERE id = :id"), {"id": decision_id}).one()
    return tuple(value for key, value in row._mapping.items() if key != "id")


def test_prepared_insert_stores_and_reads_back_exactly_like_core(database: Database,
                                                                  make_user) -> None:
    user = make_user("prepared.officer", Role.OFFICER)
    statement = Prepared(insert(Decision), database.engine.dialect, KEYS)
    with database.write_cursor() as cursor:
        statement.execute(cursor, _decision("by-prepared", user.id))
    with database.engine.begin() as connection:
        connection.execute(insert(Decision), _decision("by-core", user.id))

    assert _stored(database, "by-prepared") == _stored(database, "by-core")
    with database.session() as session:
        prepared, core = session.get(Decision, "by-prepared"), session.get(Decision, "by-core")
        assert prepared is not None and core is not None
        for column in KEYS[1:]:
            assert getattr(prepared, column) == getattr(core, column), column
        assert prepared.created_at == datetime(2026, 3, 1, 4, 30, 15, 123456, tzinfo=UTC)
        assert prepared.inputs == _decision("", 0)["inputs"]


def test_prepared_select_converts_values_like_core(database: Database, make_user) -> None:
    user = make_user("certified.officer", Role.OFFICER)
    expires = datetime(2030, 1, 2, 3, 4, 5, 678000, tzinfo=UTC)
    with database.session() as session:
        session.add(UserCertificate(user_id=user.id, name="biometrics", expires_at=expires))
        session.add(UserCertificate(user_id=user.id, name="forever", expires_at=None))
    query = (select(UserCertificate.name, UserCertificate.expires_at)
             .where(UserCertificate.user_id == bindparam("user_id"))
             .order_by(UserCertificate.name))
    with database.read_cursor() as cursor:
        rows = Prepared(query, database.engine.dialect).rows(cursor, {"user_id": user.id})
    with database.engine.connect() as connection:
        expected = [tuple(row) for row in connection.execute(query, {"user_id": user.id})]
    assert rows == expected == [("biometrics", expires), ("forever", None)]
    assert rows[0][1].tzinfo is not None  # aware, comparable with utcnow()


def test_prepared_select_keeps_the_statements_own_literals_and_limit(database: Database,
                                                                       make_user) -> None:
    """A value written into the statement (``!= "closed"``, a LIMIT) is a bound parameter the
    caller does not give: Prepared sends the statement's own value, as Core does."""
    user = make_user("literal.officer", Role.OFFICER)
    with database.session() as session:
        for name in ("a", "b", "c", "skip"):
            session.add(UserCertificate(user_id=user.id, name=name, expires_at=None))
    query = (select(UserCertificate.name)
             .where(UserCertificate.user_id == bindparam("user_id"),
                    UserCertificate.name != "skip")
             .order_by(UserCertificate.name.desc()).limit(2))
    with database.read_cursor() as cursor:
        rows = Prepared(query, database.engine.dialect).rows(cursor, {"user_id": user.id})
    with database.engine.connect() as connection:
        expected = [tuple(row) for row in connection.execute(query, {"user_id": user.id})]
    assert rows == expected == [("c",), ("b",)]


def test_prepared_refuses_an_insert_that_would_need_column_defaults(database: Database) -> None:
    """Defaults are the execution context's job, which Prepared bypasses: leaving out a column
    with a Python default must fail at construction, not store a NULL or an old value."""
    without_created_at = tuple(key for key in KEYS if key != "created_at")
    with pytest.raises(ValueError, match="created_at"):
        Prepared(insert(Decision), database.engine.dialect, without_created_at)


def test_a_failed_write_cursor_keeps_nothing_and_raises_sqlalchemy_errors(
        database: Database) -> None:
    row = {"seq": 0, "leaf_hash": "00" * 32, "body": "{}", "kind": "test", "capability_id": "",
           "actor": "", "created_at": datetime.now(UTC)}
    statement = Prepared(insert(LedgerEntry), database.engine.dialect, tuple(row))
    with pytest.raises(exc.IntegrityError), database.write_cursor() as cursor:
        statement.execute(cursor, row)
        statement.execute(cursor, {**row, "body": "{\"again\":1}"})  # same seq: refused
    with database.session() as session:
        assert session.scalar(select(LedgerEntry).where(LedgerEntry.seq == 0)) is None
    # The connection went back to the pool usable, and the next transaction commits.
    with database.write_cursor() as cursor:
        statement.execute(cursor, row)
    with database.session() as session:
        assert session.get(LedgerEntry, 0) is not None


def _echo(inputs: Any) -> ModelOutput:
    return ModelOutput(output={"upper": str(inputs["text"]).upper()}, explanation="upper-cased",
                       confidence=0.9)


def test_a_gateway_call_whose_decision_row_fails_leaves_no_ledger_entry(accord_env,
                                                                         make_user) -> None:
    """The decision row and its ledger entry commit together or not at all, and the caller
    is not told a sequence number for a transaction that rolled back."""
    governance = get_governance()
    governance.registry.register(Capability(
        id="test.prepared-echo", version="1", title_en="echo", title_zh="回显",
        description_en="test", description_zh="测试", risk_tier=RiskTier.LIMITED,
        purposes=frozenset({"victim-assistance"}), legal_bases=frozenset({"consent"}),
        roles=frozenset({"officer"}), inputs={"text": InputSpec(kind="text", max_length=100)},
        model=ModelCard(name="echo", version="t1", digest="", licence="Apache-2.0",
                        source="tests", training_data="none", measured_accuracy="n/a",
                        known_limitations=("test only",)),
        runner=_echo))
    user = make_user("atomic.officer", Role.OFFICER)
    caller = Caller(user.id, user.username, frozenset({"officer"}))
    request = GatewayRequest("test.prepared-echo", "victim-assistance", "consent",
                             {"text": "hello"})
    gateway, ledger = governance.gateway, governance.ledger
    assert gateway.invoke(caller, request).ledger_seq == ledger.size() - 1  # the path works
    size = ledger.size()

    class Broken:
        def execute(self, cursor: Any, values: Any) -> None:
            raise exc.OperationalError("INSERT INTO decisions", {}, Exception("disk I/O error"))

    gateway._decision_sql = Broken()  # type: ignore[assignment]
    with pytest.raises(exc.OperationalError):
        gateway.invoke(caller, request)
    assert ledger.size() == size
    with ledger.database.session() as session:
        stored = session.scalars(select(Decision.id).where(Decision.actor_id == user.id)).all()
    assert len(stored) == 1  # only the first, successful call


def test_after_a_failed_read_the_pooled_connection_still_rolls_back(database: Database) -> None:
    """Reads run in autocommit on PostgreSQL; a read that fails must not hand that connection
    back to the pool, where the next transaction would commit statement by statement (and the
    ledger's transaction-scoped lock would be released at once)."""
    single = Database(database.url, PoolSize(size=1, overflow=0))
    try:
        statement = Prepared(select(LedgerEntry.seq).where(LedgerEntry.seq == bindparam("seq")),
                             single.engine.dialect)
        with pytest.raises(exc.DBAPIError), single.read_cursor() as cursor:
            statement.rows(cursor, {"seq": 0})
            cursor.execute("SELECT no_such_column FROM ledger_entries")
        row = {"seq": 0, "leaf_hash": "00" * 32, "body": "{}", "kind": "test",
               "capability_id": "", "actor": "", "created_at": datetime.now(UTC)}
        with pytest.raises(RuntimeError), single.write_session() as session:
            session.execute(insert(LedgerEntry), row)
            raise RuntimeError("roll back")
        with single.session() as session:
            assert session.get(LedgerEntry, 0) is None
        with single.read_cursor() as cursor:  # and a successful read leaves it usable too
            assert statement.rows(cursor, {"seq": 0}) == []
    finally:
        single.dispose()
