"""The parts of a lesson read from where they live (see :mod:`accord.training.courses`).

Model cards come from the capability registry (their measured figures from bench/results via
``accord.core.figures``), the refused uses from the registry's prohibited entries, a case type's
steps from the case guidance with each legal fact's status as the case pages show it (including
a legal officer's confirmation of that exact text).
"""

from __future__ import annotations

from typing import Any

from accord.core.db import Database
from accord.training.courses import Lesson


def _steps(database: Database, case_type: str) -> list[dict[str, Any]]:
    from accord.cases.guidance import get_guidance, load_confirmations, shown_status

    guidance = get_guidance()
    with database.session() as session:
        confirmations = load_confirmations(session)
    steps = []
    for step in guidance.checklist(case_type).steps:
        fact = guidance.facts[step.fact]
        steps.append({"id": step.id, "title_en": step.title_en, "title_zh": step.title_zh,
                      "citation": step.citation, "citation_zh": step.citation_zh,
                      "fact": fact.id, "source": fact.source,
                      "article": fact.article, "status": shown_status(fact, confirmations),
                      "rule_en": fact.rule_en, "rule_zh": fact.rule_zh,
                      "period": str(step.period) if step.period else "",
                      "without_delay": step.without_delay})
    return steps


def lesson_content(database: Database, lesson: Lesson) -> dict[str, Any]:
    """What the lesson page shows beyond its own text: model cards, refused uses, steps."""
    from accord.core.governance import get_governance

    content: dict[str, Any] = {}
    registry = get_governance().registry
    if lesson.include == "model-cards":
        content["model_cards"] = [
            {"id": c.id, "title_en": c.title_en, "title_zh": c.title_zh,
             "risk_tier": c.risk_tier.value, "review_required": c.review_required,
             "required_certificates": sorted(c.required_certificates),
             "model": c.model.name, "measured_accuracy": c.model.measured_accuracy,
             "known_limitations": list(c.model.known_limitations),
             "intended_use": c.model.intended_use,
             "zh": c.model.in_chinese(),
             "measured_accuracy_zh": c.model.measured_accuracy_zh,
             "known_limitations_zh": list(c.model.known_limitations_zh)}
            for c in registry.all() if not c.prohibited and c.model is not None]
    if lesson.include == "prohibited-uses":
        content["prohibited"] = [
            {"id": c.id, "title_en": c.title_en, "title_zh": c.title_zh,
             "why_en": c.refusal_en, "why_zh": c.refusal_zh}
            for c in registry.all() if c.prohibited]
    if lesson.guidance:
        content["steps"] = _steps(database, lesson.guidance)
    return content
