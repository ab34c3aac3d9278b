"""Model cards state the figures in bench/results, with the command and date that made them.

The results files are read here with ``json`` directly, not through accord.core.figures, and
the expected wording of each figure is written out below: a card that pastes a number, keeps a
number the bench no longer produces, or drops its provenance fails.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from accord.core import figures
from accord.core.registry import Capability

RESULTS = Path(__file__).resolve().parent.parent / "bench" / "results"
# Capabilities whose card has no benchmark figure, and why.
NOT_BENCHMARKED = {
    "cases.draft-report": "not a statistical model: a tested property, stated as such",
    "interpret.transcribe": "measured by accord.interpret.speech.measure(); no bench writes "
                            "results for it yet",
    "vision.face-verify": "no labelled genuine/impostor identity pairs ship in any package: "
                          "its card says the error rates are not measured",
    "interpret.speak": "its card cites the transcription check of the Piper voice (WER of "
                       "interpret.transcribe); espeak-ng is rule-based and not measured",
    "dispatch.triage": "written rules with no labelled set of calls to score them on; the "
                       "override rate on the dispatch queue is their running check",
}


def registered() -> list[Capability]:
    """Every registered capability with a model card (the one place the registry is built)."""
    from accord.core.registry import build_registry

    return [c for c in build_registry().all() if c.model is not None]


def _raw(bench: str) -> dict[str, Any]:
    return json.loads((RESULTS / f"{bench}.json").read_text(encoding="utf-8"))


def _fig(bench: str, *path: str) -> Any:
    value: Any = _raw(bench)["figures"]
    for part in path:
        value = value[part]
    return value


# capability -> (results file, [expected wording of each cited figure])
def _phrase_share(part: str, whole: str) -> float:
    """A share summed over the languages of the phrase-matching test half."""
    test = _fig("interpret-phrases", "phrases", "test")
    return sum(r[part] for r in test.values()) / sum(r[whole] for r in test.values())


EXPECTED: dict[str, tuple[str, list[str]]] = {
    "interpret.langid": ("langid", [
        f"{_fig('langid', 'accuracy'):.1%} top-1",
        f"{_fig('langid', 'sentences'):,} sentences",
        f"Malay {_fig('langid', 'by_language', 'zsm_Latn'):.0%}",
    ]),
    "interpret.translate": ("interpret", [
        f"{s}→{t} {_fig('interpret', 'quality_by_pair', f'{s}-{t}', 'chrf'):.1f}"
        for s, t in (("en", "es"), ("es", "fr"), ("pt", "en"))
    ]),
    "cases.mrz": ("mrz", [
        f"TD1 identity cards {_fig('mrz', 'per_type', 'TD1', 'exact')}/"
        f"{_fig('mrz', 'per_type', 'TD1', 'images')}",
        f"TD3 passports {_fig('mrz', 'per_type', 'TD3', 'exact')}/"
        f"{_fig('mrz', 'per_type', 'TD3', 'images')}",
        f"p95 {_fig('mrz', 'seconds_p95')} s wall-clock",
    ]),
    "forecast.hotspots": ("forecast", [
        f"kde {_fig('forecast', 'pai', 'kde', '5%', 'mean'):.2f}",
        f"naive {_fig('forecast', 'pai', 'naive', '5%', 'mean'):.2f}",
    ]),
    "cases.extract": ("cases_nlp", [
        "English P "
        f"{_fig('cases_nlp', 'extraction', 'per_language', 'en', 'all', 'precision'):.3f}",
    ]),
    "cases.inconsistency": ("cases_nlp-hints", [
        f"recall {_fig('cases_nlp-hints', 'hints_held_out', 'all', 'recall'):.3f} of the "
        "conflicting pairs",
        f"false-alarm rate {_fig('cases_nlp-hints', 'hints_held_out', 'all', 'fp_rate'):.3f}",
        f"recall {_fig('cases_nlp-hints', 'hints_held_out_untuned', 'all', 'recall'):.3f}, "
        "false-alarm rate "
        f"{_fig('cases_nlp-hints', 'hints_held_out_untuned', 'all', 'fp_rate'):.3f}",
        f"recall {_fig('cases_nlp-hints', 'hints_held_out_statements', 'all', 'recall'):.3f}, "
        "false-alarm rate "
        f"{_fig('cases_nlp-hints', 'hints_held_out_statements', 'all', 'fp_rate'):.3f}",
        f"P {_fig('cases_nlp-hints', 'hints', 'per_kind', 'all', 'precision'):.3f} / R "
        f"{_fig('cases_nlp-hints', 'hints', 'per_kind', 'all', 'recall'):.3f}",
    ]),
    "cases.classify": ("casetype", [
        f"top-1 {_fig('casetype', 'all', 'top1_when_suggested'):.3f} where it suggests",
        f"\"not sure\" {_fig('casetype', 'all', 'not_sure_rate'):.0%}",
    ]),
    "interpret.phrase_match": ("interpret-phrases", [
        f"{_fig('interpret-phrases', 'phrases', 'entries')} phrasebook entries",
        f"top-1 {_phrase_share('top1', 'in_book'):.0%} and top-3 "
        f"{_phrase_share('top3', 'in_book'):.0%}",
        f"recall {_phrase_share('no_match_right', 'out_of_book'):.0%}",
        "p95 {:.0f} ms at worst".format(max(
            r["p95_ms"] for r in _fig("interpret-phrases", "phrases", "test").values())),
    ]),
    "vision.redact": ("vision", [
        f"Faces: recall {_fig('vision', 'faces', 'recall'):.0%} of "
        f"{_fig('vision', 'faces', 'labelled')} labelled faces",
        f"plates: recall {_fig('vision', 'plates', 'recall'):.0%}",
        f"{_fig('vision', 'redaction_ms_per_megapixel'):.0f} ms per megapixel",
    ]),
    "vision.count": ("vision", [
        f"faces {_fig('vision', 'count', 'faces', 'mae'):.2f}",
    ]),
    "knowledge.lookup": ("knowledge", [
        f"fusion {_fig('knowledge', 'layers', 'fusion', 'hit1'):.0%}",
        f"e5 {_fig('knowledge', 'layers', 'e5', 'hit1'):.0%}",
        f"cross-lingual fusion hit@1 {_fig('knowledge', 'cross_lingual_fusion_hit1'):.0%}",
        f"fusion hit@3 {_fig('knowledge', 'layers', 'fusion', 'hit3'):.0%}",
        f"\"no passage\" precision {_fig('knowledge', 'no_passage', 'precision'):.0%}",
        f"p95 {_fig('knowledge', 'latency_ms', 'p95'):.0f} ms",
    ]),
    "dispatch.recommend": ("dispatch", [
        f"p95 {_fig('dispatch', 'helsinki', 'recommend_scipy', 'p95_ms'):.0f} ms on the "
        "Helsinki graph",
        f"{_fig('dispatch', 'grid', 'recommend_scipy', 'p95_ms'):.0f} ms on a "
        f"{_fig('dispatch', 'grid', 'nodes'):,}-node grid",
    ]),
}


def test_every_card_is_benchmarked_or_says_why_not() -> None:
    ids = {c.id for c in registered()}
    assert ids == set(EXPECTED) | set(NOT_BENCHMARKED)


@pytest.mark.parametrize("capability_id", sorted(EXPECTED))
def test_card_states_the_figures_of_its_results_file(capability_id: str) -> None:
    card = {c.id: c for c in registered()}[capability_id].model
    assert card is not None
    bench, wordings = EXPECTED[capability_id]
    raw = _raw(bench)
    text = card.measured_accuracy
    assert "No measured figure available" not in text
    for wording in wordings:
        assert wording in text, (wording, text)
    assert f"`{raw['command']}`" in text and raw["date"][:10] in text
    assert f"bench/results/{bench}.json" in text


@pytest.mark.parametrize("bench", sorted(p.stem for p in RESULTS.glob("*.json")))
def test_results_files_carry_their_command_date_and_commit(bench: str) -> None:
    raw = _raw(bench)
    assert raw["bench"] == bench
    # A partial run of a bench script is kept apart: bench/results/<script>-<part>.json.
    assert raw["command"].startswith(f"python bench/{bench.split('-')[0]}.py")
    assert raw["date"][:4].isdigit() and "T" in raw["date"]
    assert len(raw["git_commit"]) == 40 and raw["figures"]


@pytest.mark.parametrize("missing", ["command", "date", "figures"])
def test_a_results_file_without_provenance_is_refused(tmp_path: Path, missing: str) -> None:
    data = {"bench": "x", "command": "python bench/x.py", "date": "2026-12-07T00:00:00Z",
            "figures": {"accuracy": 0.5}}
    del data[missing]
    (tmp_path / "x.json").write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(figures.FiguresError, match=missing):
        figures.figure("x", "accuracy", tmp_path)
    assert "No measured figure available" in figures.measured_or_missing("x", "{accuracy}",
                                                                         tmp_path)


def test_figure_and_measured_read_the_file(tmp_path: Path) -> None:
    data = {"bench": "x", "command": "python bench/x.py --quick", "date": "2026-12-07T01:02:03Z",
            "git_commit": "a" * 40, "figures": {"by": {"zh": 0.972}, "n": 3}}
    (tmp_path / "x.json").write_text(json.dumps(data), encoding="utf-8")
    got = figures.figure("x", "by.zh", tmp_path)
    assert (got.value, got.command, got.date) == (0.972, "python bench/x.py --quick",
                                                  "2026-12-07T01:02:03Z")
    assert figures.measured("x", "zh {by[zh]:.0%} of {n}", tmp_path) == (
        "zh 97% of 3 (measured 2026-12-07 by `python bench/x.py --quick` at commit aaaaaaaaaa; "
        "bench/results/x.json)")
    with pytest.raises(figures.FiguresError, match="no figure 'missing'"):
        figures.measured("x", "{missing}", tmp_path)


def test_runtime_quality_table_matches_the_bench() -> None:
    from accord.interpret.translate import MEASURED_QUALITY

    measured = {tuple(k.split("-")): v["chrf"]
                for k, v in _fig("interpret", "quality_by_pair").items()}
    assert measured == MEASURED_QUALITY
