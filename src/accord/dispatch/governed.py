"""Calling dispatch's capabilities through the governed gateway, for web and CLI alike.

A refusal (no approved assessment yet, a role the policy does not admit) is not an error for
dispatch: the incident stands and the dispatcher chooses by hand. The answer then carries the
refusal's reasons and ledger entry instead of a suggestion.
"""

from __future__ import annotations

from typing import Any

from accord.core.errors import AccordError
from accord.core.gateway.service import Caller, GatewayDenied, GatewayRequest
from accord.core.i18n import set_language, translate
from accord.dispatch.capability import LEGAL_BASIS, PURPOSE


def invoke(caller: Caller, capability_id: str, inputs: dict[str, Any],
           language: str = "en", purpose: str = PURPOSE) -> dict[str, Any]:
    from accord.core.governance import get_governance

    try:
        result = get_governance().gateway.invoke(caller, GatewayRequest(
            capability_id=capability_id, purpose=purpose, legal_basis=LEGAL_BASIS,
            inputs={k: v for k, v in inputs.items() if v not in (None, "")}))
    except GatewayDenied as denied:
        # The routes say "zh"; the refusal's Chinese text is keyed by the catalogue's code.
        reasons = denied.reasons_in("zh_Hans" if language.startswith("zh") else language)
        return {"refused": reasons, "ledger_seq": denied.ledger_seq,
                "human_path": "Choose type, priority and unit yourself; the refusal is "
                              "ledgered."}
    except AccordError as error:
        set_language(language)  # the refusal in the caller's language, as the one above
        return {"refused": translate(error.message, error.params), "ledger_seq": None,
                "human_path": "Choose type, priority and unit yourself."}
    return {**result.output, "explanation": result.explanation,
            "decision_id": result.decision_id, "ledger_seq": result.ledger_seq}


def recommend(caller: Caller, reference: str, limit: int = 5,
              language: str = "en") -> dict[str, Any]:
    return invoke(caller, "dispatch.recommend", {"incident": reference, "limit": limit},
                  language)


def triage(caller: Caller, reference: str, type_hint: str, narrative: str,
           answers: dict[str, str], language: str = "en") -> dict[str, Any]:
    return invoke(caller, "dispatch.triage", {"incident": reference, "type_hint": type_hint,
                                              "narrative": narrative, **answers}, language)


def suggest_language(caller: Caller, text: str, language: str = "en") -> dict[str, Any]:
    """A language suggestion for the caller's first words, from interpret's language-ID
    capability through the gateway (no import of interpret: the registry knows it by id). Only
    a suggestion: the caller's own choice is the rule and the dispatcher records it."""
    return invoke(caller, "interpret.langid", {"text": text[:2000]}, language,
                  purpose="interpretation")
