"""Who may open a legal question: the officer who asked it, legal officers, and admins."""

from __future__ import annotations

from typing import Any

from accord.core.contract import ObjectKind


def _id(reference: str) -> int | None:
    return int(reference) if reference.isdigit() else None


def _exists(session: Any, reference: str) -> bool:
    from accord.knowledge.models import LegalQuestion

    number = _id(reference)
    return number is not None and session.get(LegalQuestion, number) is not None


def sees_all(caller: Any) -> bool:
    return bool({"legal", "admin"} & set(caller.roles))


def can_access(session: Any, caller: Any, reference: str) -> bool | None:
    from accord.knowledge.models import LegalQuestion

    number = _id(reference)
    row = session.get(LegalQuestion, number) if number is not None else None
    if row is None:
        return None
    return sees_all(caller) or row.asked_by == caller.user_id


def _owner(session: Any, reference: str) -> int | None:
    from accord.knowledge.models import LegalQuestion

    number = _id(reference)
    row = session.get(LegalQuestion, number) if number is not None else None
    return row.asked_by if row is not None else None


QUESTION_KIND = ObjectKind(kind="knowledge-question", exists=_exists, can_access=can_access,
                           owner=_owner, sees_all=sees_all, name_zh="法律问题")
