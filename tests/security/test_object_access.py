"""No cross-officer reads through the gateway (or around it).

Officer A owns case X (a victim, a statement). Officer B owns case Y. Every capability that takes
a case, statement or interpreter-request reference, or is filed under a case (``case_ref``), is
called by B with X's objects, through the JSON API and through the CLI: each is refused before
the model runs (403 / exit 3 "refused"), the refusal is ledgered with the reason
``object-access``, and nothing of X is in the answer. A (the case officer) and a supervisor get
the normal answer. Interpreter requests follow one rule too (see ``may_access_request``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from sqlalchemy import select
from typer.testing import CliRunner

from accord.cases.service import CaseService
from accord.config import get_settings
from accord.core.accounts import AccountService, User
from accord.core.blobs import BlobStore
from accord.core.contract import object_kind
from accord.core.db import Database
from accord.core.gateway.models import Decision, LedgerEntry
from accord.core.gateway.service import Caller
from accord.core.governance import get_governance
from accord.core.roles import Role
from tests.helpers import certify

VICTIM = "Maria Secretname"
STATEMENT = "The man in the green jacket took my bag at 21:30 near the Bund ferry."
NEVER = "FR-2000-999999"  # no such case


@dataclass
class World:
    a: User
    b: User
    boss: User
    case_x: str
    case_y: str
    statement_x: int
    statement_y: int
    tokens: dict[str, str]


def _case(database: Database, officer: User, name: str, text: str) -> tuple[str, int]:
    settings = get_settings()
    with database.session() as session:
        service = CaseService(session, BlobStore.for_state_dir(settings.state_dir),
                              settings.station_timezone)
        case = service.create_case(case_type="theft-victim", title="Stolen bag",
                                   officer_id=officer.id, place="Station")
        person = service.add_person(case, role="victim", full_name=name, nationality="ITA")
        session.flush()
        statement = service.add_statement(case, person_id=person.id, language="en", text=text,
                                          taken_by=officer.id)
        session.flush()
        result = (case.reference, statement.id)
        session.commit()
    return result


@pytest.fixture
def world(client, make_user, database: Database) -> World:  # type: ignore[no-untyped-def]
    a = make_user("officer.a", Role.OFFICER)
    b = make_user("officer.b", Role.OFFICER)
    boss = make_user("sergeant.c", Role.SUPERVISOR)
    dpo = make_user("dpo.d", Role.DPO)
    from accord.governance.dpo import ASSESSMENT_KINDS, DpoService

    dpo_service = DpoService.from_governance(get_governance())
    for kind in ASSESSMENT_KINDS:  # the high-risk hints capability may run at all
        dpo_service.record_assessment(Caller(dpo.id, dpo.username, frozenset({"dpo"})),
                                      capability_id="cases.inconsistency", kind=kind,
                                      outcome="approved", summary=f"test {kind}")
    certify(database, a, b, boss)  # trained officers: inconsistency hints need the certificate
    case_x, statement_x = _case(database, a, VICTIM, STATEMENT)
    case_y, statement_y = _case(database, b, "Bo Other", "Someone took my phone.")
    tokens = {}
    with database.session() as session:
        accounts = AccountService(session)
        for user in (a, b, boss):
            tokens[user.username] = accounts.issue_token(
                accounts.find_user(user.username), "test").token
    return World(a, b, boss, case_x, case_y, statement_x, statement_y, tokens)


def _call(client, world: World, user: User, capability: str, inputs: dict[str, Any],
          case_ref: str = ""):  # type: ignore[no-untyped-def]
    return client.post(f"/api/v1/gateway/{capability}",
                       headers={"Authorization": f"Bearer {world.tokens[user.username]}"},
                       json={"purpose": "case-handling", "legal_basis": "police-law-art-2",
                             "inputs": inputs, "case_ref": case_ref})


#: Every capability that names an object: (capability, inputs, case_ref) for officer B reaching
#: into case X. ``{x}`` is X's reference, ``{sx}`` X's statement, ``{y}`` B's own case.
CALLS: list[tuple[str, dict[str, str], str]] = [
    ("cases.draft-report", {"case_ref": "{x}", "language": "en"}, ""),
    # B's own case, X's statement: the statement is checked by itself.
    ("cases.draft-report", {"case_ref": "{y}", "language": "en", "statement_ids": "{sx}"}, ""),
    ("cases.draft-report", {"case_ref": "{y}", "language": "en", "statement_ids": "{sx}"}, "{y}"),
    ("cases.extract", {"text": STATEMENT, "language": "en"}, "{x}"),
    ("cases.classify", {"description": STATEMENT, "language": "en"}, "{x}"),
    ("cases.inconsistency", {"text_a": STATEMENT, "language_a": "en",
                             "text_b": "It was 22:00 and the jacket was red.",
                             "language_b": "en"}, "{x}"),
    ("cases.mrz", {"image_sha256": "0" * 64}, "{x}"),
    ("interpret.transcribe", {"audio_sha256": "0" * 64, "language": "en"}, "{x}"),
    ("interpret.translate", {"text": "My bag was stolen.", "source": "en", "target": "es"},
     "{x}"),
    ("interpret.langid", {"text": "Mi hanno rubato la borsa"}, "{x}"),
]


def _fill(value: str, world: World) -> str:
    return value.format(x=world.case_x, y=world.case_y, sx=world.statement_x)


def _concrete(call: tuple[str, dict[str, str], str],
              world: World) -> tuple[str, dict[str, str], str]:
    capability, inputs, case_ref = call
    return capability, {k: _fill(v, world) for k, v in inputs.items()}, _fill(case_ref, world)


def _decision(database: Database, seq: int) -> Decision:
    with database.session() as session:
        decision = session.scalar(select(Decision).where(Decision.ledger_seq == seq))
        assert decision is not None
        session.expunge(decision)
        return decision


def _ledger(database: Database, seq: int) -> dict[str, Any]:
    with database.session() as session:
        return json.loads(session.get(LedgerEntry, seq).body)


def _assert_refused(response, database: Database, world: World,
                    capability: str) -> None:  # type: ignore[no-untyped-def]
    assert response.status_code == 403, response.text
    body = response.json()
    assert "output" not in body
    assert [r["policy_id"] for r in body["reasons"]] == ["object-access"]
    assert "or it does not exist" in body["detail"]
    for secret in (VICTIM, "Secretname", "green jacket", "ITA"):
        assert secret not in response.text
    decision = _decision(database, body["ledger_seq"])
    assert decision.capability_id == capability
    assert decision.status == "denied" and decision.output is None
    assert decision.policy_reasons == ["object-access"]
    assert "object access" in decision.explanation
    entry = _ledger(database, body["ledger_seq"])
    assert entry["kind"] == "denial" and entry["policy"]["reasons"] == ["object-access"]
    assert entry["actor"] == f"user:{world.b.id}"


def _completed(database: Database, capability: str) -> int:
    with database.session() as session:
        return len(session.scalars(select(Decision).where(
            Decision.capability_id == capability, Decision.status == "completed")).all())


@pytest.mark.parametrize("call", CALLS, ids=lambda c: f"{c[0]}:{'+'.join(c[1])}:{c[2]}")
def test_second_officer_is_refused_and_the_owner_and_supervisor_are_not(
    call, client, world: World, database: Database  # type: ignore[no-untyped-def]
) -> None:
    capability, inputs, case_ref = _concrete(call, world)
    before = _completed(database, capability)
    _assert_refused(_call(client, world, world.b, capability, inputs, case_ref), database, world,
                    capability)
    assert _completed(database, capability) == before  # the model did not run

    # The owner and a supervisor pass the object check: they get the capability's normal answer
    # (for the stored-file capabilities, the runner's own answer: there is no such file).
    if "{y}" in json.dumps(call):  # B's own case: the owner of that case is B
        return
    for user in (world.a, world.boss):
        answer = _call(client, world, user, capability, inputs, case_ref)
        assert answer.status_code != 403, (user.username, answer.text)
        if capability in ("cases.mrz", "interpret.transcribe"):
            assert answer.status_code == 404 and "No stored file" in answer.text, answer.text
        else:
            assert answer.status_code == 200, (user.username, answer.text)
    if capability == "cases.draft-report":
        assert VICTIM in answer.json()["output"]["text"]


def test_a_missing_case_looks_like_someone_elses_but_a_supervisor_is_told(
    client, world: World, database: Database  # type: ignore[no-untyped-def]
) -> None:
    inputs = {"case_ref": NEVER, "language": "en"}
    missing = _call(client, world, world.b, "cases.draft-report", inputs)
    theirs = _call(client, world, world.b, "cases.draft-report",
                   {"case_ref": world.case_x, "language": "en"})
    assert missing.status_code == theirs.status_code == 403
    assert missing.json()["detail"].replace(NEVER, "X") == \
        theirs.json()["detail"].replace(world.case_x, "X")
    # The Chinese refusal names the object in Chinese, as the owning package declares it.
    from accord.core.accounts import User

    with database.session() as session:
        session.get(User, world.b.id).language = "zh_Hans"
    zh = _call(client, world, world.b, "cases.draft-report",
               {"case_ref": world.case_x, "language": "en"})
    with database.session() as session:
        session.get(User, world.b.id).language = "en"
    assert zh.status_code == 403 and f"无权访问案件 {world.case_x}" in zh.text
    told = _call(client, world, world.boss, "cases.draft-report", inputs)
    assert told.status_code == 422 and f"there is no case {NEVER}" in told.text
    assert "ledger entry" in told.text


def test_an_unknown_object_kind_fails_when_the_registry_is_built() -> None:
    from dataclasses import replace

    from accord.core.contract import installed
    from accord.core.registry import InputSpec, build_registry
    from accord.interpret.langid import LANGID_CAPABILITY

    broken = replace(LANGID_CAPABILITY, inputs={
        "text": InputSpec(kind="text", object_kind="dossier")})
    package = replace(installed()[0], capabilities=lambda: (broken,))
    with pytest.raises(ValueError, match="dossier"):
        build_registry([*installed()[1:], package])
    assert object_kind("case") is not None and object_kind("interpreter-request") is not None


# -- the CLI ------------------------------------------------------------------------------------
_AS = ("--purpose", "case-handling", "--user")


def _cli(*args: str):  # type: ignore[no-untyped-def]
    from accord.cli import app

    return CliRunner().invoke(app, list(args))


def test_cli_capabilities_refuse_the_second_officer(
    tmp_path: Path, world: World, database: Database  # type: ignore[no-untyped-def]
) -> None:
    a, b = tmp_path / "a.txt", tmp_path / "b.txt"
    a.write_text(STATEMENT, encoding="utf-8")
    b.write_text("It was 22:00 and the jacket was red.", encoding="utf-8")
    photo = tmp_path / "photo.png"
    Image.new("L", (64, 32), 255).save(photo)
    commands = {
        "statements compare": ["statements", "compare", str(a), str(b), "--lang", "en",
                               "--case-ref"],
        "langid": ["langid", "Mi hanno rubato la borsa", "--case-ref"],
        "mrz": ["mrz", str(photo), "--case-ref"],
    }
    for name, args in commands.items():
        refused = _cli(*args, world.case_x, *_AS, world.b.username)
        assert refused.exit_code == 3, (name, refused.output)
        assert "refused:" in refused.stderr and "or it does not exist" in refused.stderr
        assert VICTIM not in refused.output
        seq = int(refused.stderr.rsplit("ledger entry ", 1)[1].split(")")[0])
        assert _decision(database, seq).policy_reasons == ["object-access"]
    for name in ("statements compare", "langid"):
        for user in (world.a, world.boss):
            ok = _cli(*commands[name], world.case_x, *_AS, user.username)
            assert ok.exit_code == 0, (name, user.username, ok.output)


# -- interpreter requests -------------------------------------------------------------------------
def _request_form(csrf: str, case_ref: str) -> dict[str, str]:
    return {"csrf_token": csrf, "language": "ar", "mode": "in-person", "source": "case",
            "case_ref": case_ref, "parties": "Maria Secretname", "notes": "Victim is shaken."}


def test_interpreter_requests_follow_one_rule(client, world: World, make_user,
                                              database: Database) -> None:  # type: ignore[no-untyped-def]
    from accord.interpret.interpreters import (
        Actor,
        InterpreterInput,
        InterpreterService,
        RequestInput,
        parse_language_lines,
    )
    from tests.helpers import login

    terp = make_user("amal", Role.INTERPRETER)
    make_user("dina", Role.INTERPRETER)
    make_user("root", Role.ADMIN)
    service = InterpreterService(database)
    amal = service.add_interpreter(InterpreterInput(
        name="Amal Haddad", register_id="R-1", languages=parse_language_lines("ar; ; 5"),
        modes=["in-person"], username="amal"))

    csrf = login(client, "officer.a")
    created = client.post("/interpreters/requests", data=_request_form(csrf, world.case_x),
                          follow_redirects=False)
    assert created.status_code == 303, created.text
    reference = created.headers["location"].rsplit("/", 1)[1]
    assert client.get(f"/interpreters/requests/{reference}").status_code == 200

    # Officer B: cannot open, list, act on, or create a request on A's case.
    client.cookies.clear()
    csrf = login(client, "officer.b")
    page = client.get(f"/interpreters/requests/{reference}")
    assert page.status_code == 404 and VICTIM not in page.text
    assert reference not in client.get("/interpreters/requests").text
    cancel = client.post(f"/interpreters/requests/{reference}/cancel",
                         data={"csrf_token": csrf, "note": "mine now"})
    assert cancel.status_code == 404
    for case_ref in (world.case_x, NEVER):
        refused = client.post("/interpreters/requests", data=_request_form(csrf, case_ref),
                              follow_redirects=False)
        assert refused.status_code == 403, refused.text
        assert "or it does not exist" in refused.text
    assert len(service.requests(Actor(world.boss.id, frozenset({"supervisor"})))) == 1

    # The same rule through the object kind (what the gateway and other packages ask).
    kind = object_kind("interpreter-request")
    with database.session() as session:
        assert kind.can_access(session, Caller(world.a.id, "a", frozenset({"officer"})),
                               reference) is True
        assert kind.can_access(session, Caller(world.b.id, "b", frozenset({"officer"})),
                               reference) is False
        assert kind.can_access(session, Caller(world.boss.id, "c", frozenset({"supervisor"})),
                               reference) is True
        assert kind.can_access(session, Caller(world.b.id, "b", frozenset({"officer"})),
                               "IR-2000-9999") is None

    # The supervisor sees it; the roster admin does not (the roster is theirs, requests not).
    client.cookies.clear()
    login(client, "sergeant.c")
    assert client.get(f"/interpreters/requests/{reference}").status_code == 200
    client.cookies.clear()
    login(client, "root")
    assert client.get(f"/interpreters/requests/{reference}").status_code == 404
    assert reference not in client.get("/interpreters/requests").text

    # Assigned, the interpreter sees their request, and only theirs.
    service.assign(reference, amal.id, Actor(world.a.id, frozenset({"officer"})))
    client.cookies.clear()
    csrf = login(client, "amal")
    assert client.post(f"/interpreters/requests/{reference}/join",
                       data={"csrf_token": csrf}, follow_redirects=False).status_code == 303
    assert client.get(f"/interpreters/requests/{reference}").status_code == 200
    other = service.create_request(
        RequestInput(language="ar", mode="phone", source_kind="conversation"),
        Actor(world.b.id, frozenset({"officer"})))
    listed = client.get("/interpreters/requests").text
    assert reference in listed and other.reference not in listed
    assert client.get(f"/interpreters/requests/{other.reference}").status_code == 404
    assert [r.reference for r in service.requests(Actor(terp.id, frozenset({"interpreter"})))] \
        == [reference]
    client.cookies.clear()
    login(client, "dina")
    assert client.get(f"/interpreters/requests/{reference}").status_code == 404
