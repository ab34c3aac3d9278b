"""A small case built directly with the ORM models, shared by the case report tests."""

from __future__ import annotations

from datetime import UTC, datetime

from accord.cases.models import Case, CaseEvent, Person, Statement
from accord.core.db import Database

STATEMENT_ES = (
    "Estaba cenando en un restaurante de Sanlitun. Un hombre se llevó mi bolso de la "
    "silla. Dentro estaban mi pasaporte y mi teléfono."
)
TRANSLATION_ZH = "我在三里屯的一家餐馆吃饭。一名男子从椅子上拿走了我的包。包里有我的护照和手机。"
STATEMENT_EN = "I saw a man in a red jacket running towards the metro. He had a brown bag."


def make_case(
    database: Database,
    officer_id: int | None,
    *,
    reference: str = "FR-2026-000123",
    with_incident: bool = True,
    with_place: bool = True,
    reviewed_by: int | None = None,
) -> dict[str, int]:
    """A theft case: a Spanish-speaking victim (with a Chinese translation) and an English
    witness. Returns the ids."""
    with database.session() as session:
        case = Case(
            reference=reference,
            case_type="theft-victim",
            title="Bag theft, Sanlitun",
            summary="",
            place="",
            officer_id=officer_id,
        )
        session.add(case)
        session.flush()
        victim = Person(
            case_id=case.id,
            role="victim",
            full_name="Maria GARCÍA",
            nationality="ESP",
            languages=["es"],
        )
        witness = Person(
            case_id=case.id,
            role="witness",
            full_name="John SMITH",
            nationality="GBR",
            languages=["en"],
        )
        session.add_all([victim, witness])
        session.flush()
        if with_incident:
            session.add(
                CaseEvent(
                    case_id=case.id,
                    kind="incident",
                    occurred_at=datetime(2026, 11, 20, 13, 30, tzinfo=UTC),
                    place="三里屯太古里南区" if with_place else "",
                )
            )
        session.add(
            CaseEvent(
                case_id=case.id,
                kind="reported",
                person_id=victim.id,
                occurred_at=datetime(2026, 11, 20, 13, 50, tzinfo=UTC),
            )
        )
        s1 = Statement(
            case_id=case.id,
            person_id=victim.id,
            language="es",
            text=STATEMENT_ES,
            translation=TRANSLATION_ZH,
            translation_language="zh",
            translation_source="machine",
            translation_reviewed_by=reviewed_by,
            taken_at=datetime(2026, 11, 20, 13, 40, tzinfo=UTC),
        )
        s2 = Statement(
            case_id=case.id,
            person_id=witness.id,
            language="en",
            text=STATEMENT_EN,
            taken_at=datetime(2026, 11, 20, 14, 5, tzinfo=UTC),
        )
        session.add_all([s1, s2])
        session.flush()
        return {
            "case": case.id,
            "victim": victim.id,
            "witness": witness.id,
            "s_es": s1.id,
            "s_en": s2.id,
        }
