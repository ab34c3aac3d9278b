"""Who a case-file AI call is about, and what a case file holds about a data subject.

* :func:`person_subjects` / :func:`case_subjects` / :func:`statement_subjects` give the
  persons (:class:`accord.core.subjects.Subject`) to put on a :class:`GatewayRequest`: a draft
  report concerns every person in the case, a statement tool the person who made the statement.
* :func:`subject_records` is this package's ``subject_records`` hook for the rights portal:
  the case files holding a person with that key, as a case person or through an identity
  document. Keys are computed from the stored persons on each lookup (no key column to keep in
  step when a number is corrected); a case still open or handed over is listed as existing and
  withheld, pending the DPO's decision on disclosure.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from accord.cases.models import Case, Person, Statement
from accord.core.contract import SubjectRecord
from accord.core.subjects import Subject


def person_subjects(person: Person) -> tuple[Subject, ...]:
    """One subject per identity document of the person (each with name, date of birth and
    nationality), or one without a document."""
    common = {"name": person.full_name, "birth_date": person.date_of_birth,
              "nationality": person.nationality}
    documents = [d.number for d in person.documents if d.number]
    if not documents:
        return (Subject(**common),)
    return tuple(Subject(document=number, **common) for number in documents)


def case_subjects(session: Session, reference: str) -> tuple[Subject, ...]:
    """Every person in the case (for calls such as cases.draft-report)."""
    persons = session.scalars(
        select(Person).join(Case, Person.case_id == Case.id)
        .where(Case.reference == reference.strip().upper())
        .options(selectinload(Person.documents)).order_by(Person.id))
    return tuple(s for person in persons for s in person_subjects(person))


def statement_subjects(session: Session, statements: Sequence[Statement]) -> tuple[Subject, ...]:
    """The persons who made these statements (a statement with no person adds nobody)."""
    ids = sorted({s.person_id for s in statements if s.person_id is not None})
    if not ids:
        return ()
    persons = session.scalars(select(Person).where(Person.id.in_(ids))
                              .options(selectinload(Person.documents)).order_by(Person.id))
    return tuple(s for person in persons for s in person_subjects(person))


def subject_records(session: Session, key: str) -> Iterable[SubjectRecord]:
    """The case files holding the person with this subject key (the ``subject_records`` hook)."""
    from accord.cases.vocab import PERSON_ROLES
    from accord.core.governance import get_governance

    if not key:
        return []
    gateway = get_governance().gateway
    found: dict[int, tuple[Case, list[str]]] = {}
    persons = session.scalars(select(Person).options(selectinload(Person.documents),
                                                     selectinload(Person.case)))
    for person in persons:
        if key not in gateway.subject_keys(*person_subjects(person)):
            continue
        entry = found.setdefault(person.case_id, (person.case, []))
        role = PERSON_ROLES.get(person.role, person.role)
        how = "identity document" if any(
            key in gateway.subject_keys(Subject(document=d.number)) for d in person.documents
        ) else "name, date of birth and nationality"
        entry[1].append(f"{role} ({how})")
    records = []
    for case, roles in sorted(found.values(), key=lambda item: item[0].opened_at):
        under_investigation = case.status != "closed"
        records.append(_record(case, roles, under_investigation))
    return records


def _record(case: Case, roles: list[str], withheld: bool) -> SubjectRecord:
    note = "as " + "; ".join(roles)
    if withheld:
        note += "; case not closed (under investigation): withheld pending the DPO's decision"
    return SubjectRecord(kind="case-file", reference=f"case:{case.reference}", title=case.title,
                         created_at=case.opened_at, withheld=withheld, note=note)


__all__ = ["case_subjects", "person_subjects", "statement_subjects", "subject_records"]
