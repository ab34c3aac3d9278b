"""The interpreter service: roster, request life cycle, independence check, corrections."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import func, select

from accord.cases.models import Case, Person
from accord.core.accounts import User
from accord.core.db import Database
from accord.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from accord.core.gateway.service import Caller, GatewayRequest
from accord.core.governance import get_governance
from accord.core.roles import Role
from accord.interpret.interpreter_models import (
    InterpretationCorrection,
    Interpreter,
    InterpreterRequest,
)
from accord.interpret.interpreters import (
    Actor,
    InterpreterInput,
    InterpreterService,
    RequestInput,
    normalise_name,
    parse_language_lines,
)


def _entry(
    name: str,
    register_id: str,
    languages: str,
    *,
    modes: tuple[str, ...] = ("phone",),
    username: str = "",
    **extra: object,
) -> InterpreterInput:
    return InterpreterInput(
        name=name,
        register_id=register_id,
        languages=parse_language_lines(languages),
        modes=list(modes),
        username=username,
        **extra,
    )  # type: ignore[arg-type]


def _actor(user: User) -> Actor:
    return Actor.of(user)


def _case(database: Database, reference: str, officer: User, *persons: str) -> None:
    with database.session() as session:
        case = Case(
            reference=reference, case_type="theft", title="Stolen bag", officer_id=officer.id
        )
        case.persons = [Person(role="victim", full_name=name) for name in persons]
        session.add(case)


@pytest.fixture
def service(database: Database) -> InterpreterService:
    return InterpreterService(database)


def test_roster_entries_are_validated_and_nothing_is_stored_on_error(service, database) -> None:
    bad_cases = [
        (_entry("A", "REG-1", "klingon-xx; ; 3"), ValidationFailed, "BCP 47"),
        (_entry("A", "REG-1", "ar; ; 7"), ValidationFailed, "1 to 5"),
        (_entry("A", "REG-1", "ar; ; 3", modes=("telepathy",)), ValidationFailed, "telepathy"),
        (_entry("A", "REG-1", ""), ValidationFailed, "at least one language"),
        (_entry("", "REG-1", "ar; ; 3"), ValidationFailed, "name"),
        (
            _entry("A", "REG-1", "ar; ; 3", certified_translator=True),
            ValidationFailed,
            "certificate",
        ),
        (_entry("A", "REG-1", "ar; ; 3", username="nobody"), ValidationFailed, "nobody"),
    ]
    for data, error, words in bad_cases:
        with pytest.raises(error) as caught:
            service.add_interpreter(data)
        assert words in str(caught.value.params), caught.value.params
    with pytest.raises(ValidationFailed, match="languages line 1"):
        parse_language_lines("ar Levantine 5")
    first = service.add_interpreter(_entry("Amal Haddad", "BJ-TR-001", "ar; Levantine; 5\nen; ; 4"))
    assert first.languages[0] == {"language": "ar", "dialect": "Levantine", "proficiency": 5}
    with pytest.raises(Conflict, match="already on the roster"):
        service.add_interpreter(_entry("Someone Else", "BJ-TR-001", "fr; ; 3"))
    with database.session() as session:
        assert session.scalar(select(func.count()).select_from(Interpreter)) == 1


def test_roster_filters_by_language_dialect_and_mode(service) -> None:
    service.add_interpreter(_entry("Amal", "R-1", "ar-SY; Levantine; 5", modes=("video",)))
    service.add_interpreter(_entry("Badr", "R-2", "ar; Gulf; 4", modes=("in-person",)))
    service.add_interpreter(_entry("Chen", "R-3", "ru; ; 5", modes=("video",)))
    off = service.add_interpreter(_entry("Dina", "R-4", "ar; ; 3"))
    service.set_active(off.id, False)
    assert [r.name for r in service.roster(language="ar")] == ["Amal", "Badr"]
    assert [r.name for r in service.roster(language="ar", dialect="gulf")] == ["Badr"]
    assert [r.name for r in service.roster(mode="video")] == ["Amal", "Chen"]
    assert "Dina" in [r.name for r in service.roster(include_inactive=True)]
    with pytest.raises(ValidationFailed):
        service.roster(language="not a tag")


def test_request_life_cycle_with_ranking_times_and_409_on_bad_moves(
    service, database, make_user
) -> None:
    officer = make_user("officer.li", Role.OFFICER)
    interpreter_user = make_user("amal", Role.INTERPRETER)
    other_user = make_user("badr", Role.INTERPRETER)
    service.add_interpreter(_entry("Badr", "R-2", "ar; Gulf; 5", username="badr"))
    amal = service.add_interpreter(
        _entry("Amal", "R-1", "ar; Levantine; 4", username="amal", modes=("video",))
    )
    service.add_interpreter(_entry("Chen", "R-3", "ru; ; 5"))
    request = service.create_request(
        RequestInput(
            language="ar",
            dialect="Levantine",
            mode="video",
            source_kind="conversation",
            scheduled_start=datetime(2026, 11, 24, 9, 0),
            scheduled_end=datetime(2026, 11, 24, 10),
        ),
        _actor(officer),
    )
    assert request.reference.startswith("IR-") and request.status == "open"
    assert request.scheduled_start.hour == 1  # 09:00 Asia/Shanghai is 01:00 UTC
    second = service.create_request(
        RequestInput(language="ru", mode="phone", source_kind="interview"), _actor(officer)
    )
    assert int(second.reference[-4:]) == int(request.reference[-4:]) + 1

    ranked = service.candidates(request.reference)
    assert [c.interpreter.name for c in ranked] == ["Amal", "Badr"]  # dialect before level
    assert ranked[0].dialect_match and ranked[0].mode_match

    with pytest.raises(Conflict, match="join"):
        service.join(request.reference, _actor(interpreter_user))
    with pytest.raises(PermissionDenied):
        service.assign(request.reference, amal.id, _actor(interpreter_user))
    assigned = service.assign(request.reference, amal.id, _actor(officer))
    assert assigned.status == "assigned" and assigned.assigned_at is not None
    assert assigned.independence["result"] == "passed"
    assert assigned.independence["inputs"]["register_id"] == "R-1"
    with pytest.raises(PermissionDenied):
        service.join(request.reference, _actor(other_user))
    with pytest.raises(Conflict, match="close"):
        service.close(request.reference, _actor(officer), "done")
    joined = service.join(request.reference, _actor(interpreter_user))
    assert joined.status == "joined" and joined.joined_at >= joined.assigned_at
    with pytest.raises(ValidationFailed):
        service.close(request.reference, _actor(interpreter_user), "   ")
    closed = service.close(request.reference, _actor(interpreter_user), "Interview finished.")
    assert closed.status == "closed" and closed.closed_at is not None
    assert "Interview finished." in closed.notes
    with pytest.raises(Conflict, match="cancel"):
        service.cancel(request.reference, _actor(officer), "too late")
    with pytest.raises(NotFound):
        service.get_request("IR-2026-9999", _actor(officer))
    # An interpreter sees only requests assigned to them.
    assert [r.reference for r in service.requests(_actor(interpreter_user))] == [request.reference]
    assert service.requests(_actor(other_user)) == []


def test_request_input_is_validated(service, make_user) -> None:
    officer = make_user("officer.li", Role.OFFICER)
    bad = [
        RequestInput(language="", mode="phone", source_kind="conversation"),
        RequestInput(language="ar", mode="pigeon", source_kind="conversation"),
        RequestInput(language="ar", mode="phone", source_kind="rumour"),
        RequestInput(language="ar", mode="phone", source_kind="case"),  # no case_ref
        RequestInput(
            language="ar",
            mode="phone",
            source_kind="conversation",
            scheduled_start=datetime(2026, 1, 2),
            scheduled_end=datetime(2026, 1, 1),
        ),
    ]
    for data in bad:
        with pytest.raises(ValidationFailed):
            service.create_request(data, _actor(officer))
    with pytest.raises(PermissionDenied):
        service.create_request(
            RequestInput(language="ar", mode="phone", source_kind="conversation"),
            _actor(make_user("terp", Role.INTERPRETER)),
        )
    # A case the officer cannot open, or that does not exist: the same refusal.
    with pytest.raises(PermissionDenied, match="or it does not exist"):
        service.create_request(
            RequestInput(language="ar", mode="phone", source_kind="case", case_ref="FR-NOPE"),
            _actor(officer),
        )
    # A supervisor, who may open every case, is told plainly.
    with pytest.raises(ValidationFailed, match="no case FR-NOPE"):
        service.create_request(
            RequestInput(language="ar", mode="phone", source_kind="case", case_ref="FR-NOPE"),
            _actor(make_user("sup", Role.SUPERVISOR)),
        )
    assert service.requests(_actor(officer)) == []


def test_names_compare_without_case_accents_or_word_order() -> None:
    assert normalise_name("José  GARCÍA") == normalise_name("garcia, jose")
    assert normalise_name("Wang Li") == normalise_name("Li WANG")
    assert normalise_name("Wang Li") != normalise_name("Wang Lin")


def test_independence_check_blocks_a_conflicted_interpreter_and_names_the_conflict(
    service, database, make_user
) -> None:
    # A supervisor asks for the interpreter: an officer may name only a case they may open.
    officer = make_user("sergeant.li", Role.SUPERVISOR)
    case_officer = make_user("officer.zhao", Role.OFFICER, Role.INTERPRETER)
    _case(database, "FR-2026-000001", case_officer, "José García", "Anna Petrova")
    garcia = service.add_interpreter(_entry("Jose GARCIA", "R-10", "es; ; 5"))
    zhao = service.add_interpreter(_entry("Zhao Ming", "R-11", "es; ; 5", username="officer.zhao"))
    party = service.add_interpreter(_entry("Maria Lopez", "R-12", "es; ; 4"))
    clean = service.add_interpreter(_entry("Elena Ruiz", "R-13", "es; ; 3"))
    request = service.create_request(
        RequestInput(
            language="es",
            mode="in-person",
            source_kind="case",
            case_ref="FR-2026-000001",
            parties=["López, María"],
        ),
        _actor(officer),
    )

    expected = {
        garcia.id: "recorded in case FR-2026-000001 as victim",
        zhao.id: "officer of case FR-2026-000001",
        party.id: "listed party",
    }
    for interpreter_id, words in expected.items():
        with pytest.raises(Conflict, match="Independence check failed") as caught:
            service.assign(request.reference, interpreter_id, _actor(officer))
        assert words in caught.value.params["conflicts"]
        unchanged = service.get_request(request.reference, _actor(officer))
        assert unchanged.status == "open" and unchanged.interpreter_id is None
        assert unchanged.independence == {}

    assigned = service.assign(request.reference, clean.id, _actor(officer))
    check = assigned.independence
    assert check["result"] == "passed" and check["conflicts"] == []
    assert check["inputs"]["case_found"] is True
    assert check["inputs"]["case_persons_checked"] == 2
    assert check["inputs"]["case_officer_id"] == case_officer.id
    assert {c["check"] for c in check["checks"]} == {
        "not-requesting-officer",
        "not-case-officer",
        "not-a-case-person",
        "not-a-listed-party",
    }


def test_interpreter_cannot_be_the_requesting_officer(service, make_user) -> None:
    both = make_user("dual", Role.OFFICER, Role.INTERPRETER)
    me = service.add_interpreter(_entry("Dual Role", "R-20", "fr; ; 5", username="dual"))
    request = service.create_request(
        RequestInput(language="fr", mode="phone", source_kind="conversation"), _actor(both)
    )
    with pytest.raises(Conflict) as caught:
        service.assign(request.reference, me.id, _actor(both))
    assert "requesting officer" in caught.value.params["conflicts"]


def test_corrections_sit_beside_the_machine_translation(service, database, make_user) -> None:
    officer = make_user("officer.li", Role.OFFICER)
    terp = make_user("elena", Role.INTERPRETER)
    elena = service.add_interpreter(_entry("Elena Ruiz", "R-30", "es; ; 5", username="elena"))
    _case(database, "FR-2026-000077", officer)
    _case(database, "FR-2026-000078", officer)
    governance = get_governance()
    caller = Caller(user_id=officer.id, username=officer.username, roles=frozenset({"officer"}))
    result = governance.gateway.invoke(
        caller,
        GatewayRequest(
            capability_id="interpret.translate",
            purpose="victim-assistance",
            legal_basis="police-law-art-2",
            case_ref="FR-2026-000077",
            inputs={"text": "My passport was stolen on the bus.", "source": "en", "target": "es"},
        ),
    )
    unrelated = governance.gateway.invoke(
        caller,
        GatewayRequest(
            capability_id="interpret.translate",
            purpose="victim-assistance",
            legal_basis="police-law-art-2",
            case_ref="FR-2026-000078",
            inputs={"text": "Good morning.", "source": "en", "target": "es"},
        ),
    )
    request = service.create_request(
        RequestInput(
            language="es", mode="phone", source_kind="conversation", case_ref="FR-2026-000077"
        ),
        _actor(officer),
    )
    service.assign(request.reference, elena.id, _actor(officer))
    with pytest.raises(Conflict, match="joined"):
        service.record_correction(
            request.reference,
            _actor(terp),
            decision_id=result.decision_id,
            corrected_text="",
            action="confirmed",
        )
    service.join(request.reference, _actor(terp))
    linked = service.machine_translations(request.reference)
    assert [d.id for d in linked] == [result.decision_id]
    machine = result.output["translation"]

    with pytest.raises(ValidationFailed, match="decision_id"):
        service.record_correction(
            request.reference,
            _actor(terp),
            decision_id=unrelated.decision_id,
            corrected_text="x",
            action="corrected",
        )
    with pytest.raises(PermissionDenied):
        service.record_correction(
            request.reference,
            _actor(officer),
            decision_id=result.decision_id,
            corrected_text="",
            action="confirmed",
        )
    confirmed = service.record_correction(
        request.reference,
        _actor(terp),
        decision_id=result.decision_id,
        corrected_text="",
        action="confirmed",
    )
    assert confirmed.corrected_text == machine == confirmed.machine_text
    fixed = "Me robaron el pasaporte en el autobús."
    corrected = service.record_correction(
        request.reference,
        _actor(terp),
        decision_id=result.decision_id,
        corrected_text=fixed,
        action="corrected",
    )
    assert corrected.machine_text == machine and corrected.corrected_text == fixed
    assert corrected.source_text == "My passport was stolen on the bus."
    pasted = service.record_correction(
        request.reference,
        _actor(terp),
        source_text="Where is the station?",
        machine_text="¿Dónde es la estación?",
        corrected_text="¿Dónde está la estación?",
        action="corrected",
    )
    assert pasted.decision_id == ""
    with pytest.raises(ValidationFailed, match="same as the machine text"):
        service.record_correction(
            request.reference,
            _actor(terp),
            source_text="a",
            machine_text="b",
            corrected_text="b",
            action="corrected",
        )
    records = service.corrections(request.reference)
    assert [r.action for r in records] == ["confirmed", "corrected", "corrected"]
    # The machine output in the decision is untouched.
    assert service.machine_translations(request.reference)[0].output["translation"] == machine
    with database.session() as session:
        assert session.scalar(select(func.count()).select_from(InterpretationCorrection)) == 3
        assert session.scalar(select(InterpreterRequest.status)) == "joined"


def test_demo_roster_is_fictional_idempotent_and_linked(database, tmp_path) -> None:
    from accord.demo import load_demo, load_demo_interpreters

    load_demo(database, tmp_path)
    assert load_demo_interpreters(database) == 0  # a second load adds nothing
    service = InterpreterService(database)
    rows = service.roster(include_inactive=True)
    assert len(rows) == 4
    assert all("fictional" in r.name.lower() and r.register_id.startswith("DEMO-") for r in rows)
    linked = [r for r in rows if r.user_id is not None]
    assert len(linked) == 1 and linked[0].certified_translator
    assert "NOT-REAL" in linked[0].certificate_id
    assert [r.name for r in service.roster(language="csl", mode="sign-language")] == [
        "Fictional Sign-language Interpreter C (demo)"
    ]
