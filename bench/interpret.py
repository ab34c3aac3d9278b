"""Interpretation benchmark: language-ID throughput, MT latency, ASR real-time factor, quality.

    python bench/interpret.py [--quick] [--json]

* ``langid_per_s`` — :func:`accord.interpret.langid.identify` on FLORES-200 devtest sentences
  (12 content languages), one thread, model only.
* ``mt_p95_ms`` — per-sentence latency of Apertium eng→spa through the warm null-flush pipeline
  (target ≤ 300 ms); the spawn-per-call baseline (``apertium -u``) is measured in the same run.
* ``asr_rtf`` — ``accord.interpret.speech.measure_rtf()`` when that module exists, else null.
* the quality table — chrF2 and BLEU (sacrebleu) on FLORES-200 devtest for every direction an
  engine serves among the content languages (Apertium pairs, pivots and installed packs).
* peak RSS of this process (``ru_maxrss``).

``--only asr,phrases`` runs just the understanding sections (written with ``--write`` to
``bench/results/interpret-understanding.json`` (asr) and ``interpret-phrases.json`` (phrases)):

* ``asr`` — Whisper base (int8, 2 threads) on every real recording in ``shared/data/speech``
  (AISHELL-1 Mandarin, LibriSpeech English; provenance in its PROVENANCE.md): CER for zh/ja/th,
  WER otherwise, real-time factor per clip and p50; the same English clip through PocketSphinx
  for the engine decision.
* ``phrases`` — phrasebook matching on the held-out TEST half of the paraphrase set, per
  language with its chosen encoder: top-1 / top-3 accuracy, "no match" precision and recall,
  match latency p50 / p95 (query encoding included; the encoders and the book's stored vectors
  are warmed first, outside the timing), and the calibration result on the calibration half.
  ``--compare-encoders`` also measures USE-m3 and e5-small on every language each covers, and
  ``--choose-encoders`` (part of it) runs ADR 0004's rule on the calibration half: the choice
  behind ``phrase_match.ENCODER_FOR``, and whether the table in use is that choice.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import resource
import statistics
import sys
import time
from typing import Any

from accord.interpret import translate as tr
from accord.interpret.langid import identify

LANGID_LANGUAGES = tr.CONTENT_LANGUAGES


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def bench_langid(per_language: int) -> dict[str, Any]:
    identify("warm up")
    sentences = [s for lang in LANGID_LANGUAGES for s in tr.flores_sentences(lang, per_language)]
    started = time.perf_counter()
    for sentence in sentences:
        identify(sentence, k=1)
    elapsed = time.perf_counter() - started
    return {"sentences": len(sentences), "langid_per_s": round(len(sentences) / elapsed, 1)}


def bench_mt(n: int, spawn_n: int, mode: str = "eng-spa") -> dict[str, Any]:
    sentences = tr.flores_sentences("en", n)
    tr.warm_mode(mode, "Warm up.")  # start the pipeline outside the measurement
    warm = []
    for sentence in sentences:
        started = time.perf_counter()
        tr.warm_mode(mode, sentence)
        warm.append((time.perf_counter() - started) * 1000)
    spawn = []
    for sentence in sentences[:spawn_n]:
        started = time.perf_counter()
        tr.spawn_mode(mode, sentence)
        spawn.append((time.perf_counter() - started) * 1000)
    return {
        "mode": mode,
        "sentences": len(warm),
        "warm_p50_ms": round(statistics.median(warm), 1),
        "warm_p95_ms": round(_percentile(warm, 0.95), 1),
        "spawn_sentences": len(spawn),
        "spawn_p50_ms": round(statistics.median(spawn), 1),
        "spawn_p95_ms": round(_percentile(spawn, 0.95), 1),
    }


def bench_asr() -> tuple[float | None, str]:
    try:
        speech = importlib.import_module("accord.interpret.speech")
    except ImportError:
        return None, "n/a — speech module not installed"
    measure = getattr(speech, "measure_rtf", None)
    if measure is None:
        return None, "n/a — accord.interpret.speech has no measure_rtf()"
    rtf = float(measure())
    return round(rtf, 3), f"{rtf:.3f}"


def bench_quality(n: int) -> list[dict[str, Any]]:
    rows = []
    for pair in tr.availability():
        if pair["no_model"]:
            continue
        rows.append(tr.score_route(pair["source"], pair["target"], n))
    return rows


def bench_understanding_asr() -> dict[str, Any]:
    from accord.interpret import speech, whisper_asr

    started = time.perf_counter()
    whisper_asr.load()
    load_s = time.perf_counter() - started
    rows = whisper_asr.measure_real_clips()
    english = next((c for c in whisper_asr.REAL_CLIPS if c.language == "en"), None)
    sphinx = None
    if english is not None and (whisper_asr.speech_data_dir() / english.file).is_file():
        audio = speech.load_wav((whisper_asr.speech_data_dir() / english.file).read_bytes())
        began = time.perf_counter()
        text = speech.decode(audio)
        sphinx = {"wer": round(speech.word_error_rate(english.reference, text), 3),
                  "rtf": round((time.perf_counter() - began) / audio.seconds, 3)}
    rtfs = [r["rtf"] for r in rows]
    return {"clips": rows, "load_seconds": round(load_s, 2),
            "rtf_p50": round(statistics.median(rtfs), 3) if rtfs else None,
            "pocketsphinx_en": sphinx}


def bench_understanding_phrases(compare: bool = False, choose: bool = False) -> dict[str, Any]:
    from accord.interpret import phrase_match
    from accord.interpret.phrasebook import LANGUAGES, get_phrasebook

    book = get_phrasebook()
    load_before = os.getloadavg()[0]
    started = time.perf_counter()
    methods = phrase_match.warm(LANGUAGES, book)  # encoders and stored vectors, outside timing
    warm_s = time.perf_counter() - started
    rows = phrase_match.evaluate("test")
    latencies = [row["p95_ms"] for row in rows.values()]
    result: dict[str, Any] = {
        "entries": len(book.entries), "per_situation": book.counts(),
        "phrasebook_version": book.version,
        "paraphrases": {split: len(phrase_match.paraphrases(split))
                        for split in ("calibration", "test")},
        "encoder_for": methods,
        "weights": {lang: (e.weight if (e := phrase_match.encoder_for(lang)) else None)
                    for lang in LANGUAGES},
        "thresholds": {lang: phrase_match.threshold_for(lang) for lang in LANGUAGES},
        "weight": phrase_match.SEMANTIC_WEIGHT, "threshold": phrase_match.THRESHOLD,
        "warm_seconds": round(warm_s, 2),
        "latency_p95_ms_max": max(latencies),
        "test": rows, "calibration": phrase_match.calibrate()}
    if compare or choose:
        # ADR 0004's rule on the calibration half, and whether the table in use is its choice
        choice = phrase_match.choose_encoders()
        in_use = {lang: e.name for lang in LANGUAGES if (e := phrase_match.encoder_for(lang))}
        choice["applied"] = (
            in_use == choice["encoder_for"]
            and all(phrase_match.ENCODERS[name].weight == weight
                    for name, weight in choice["weights"].items())
            and all(phrase_match.ENCODERS[name].threshold == threshold
                    for name, threshold in choice["thresholds"].items()))
        result["choice"] = choice
    if compare:
        result["encoders"] = phrase_match.compare_encoders()
    # Latency on a shared host depends on what else runs: the 1-minute load average (2 cores)
    # before and after the run is kept beside the figures.
    result["load_average"] = [round(load_before, 2), round(os.getloadavg()[0], 2)]
    return result


def main_understanding(sections: set[str], as_json: bool, write: bool,
                       argv: list[str], compare: bool = False, choose: bool = False) -> int:
    result: dict[str, Any] = {}
    if "asr" in sections:
        result["asr"] = bench_understanding_asr()
    if "phrases" in sections:
        result["phrases"] = bench_understanding_phrases(compare, choose)
    result["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    if write:
        from _results import write as write_results

        # Each section has its own results file, so a run of one never overwrites the other's
        # figures with a command line that did not make them.
        if "asr" in result:
            write_results("interpret-understanding", "interpret.py", argv,
                          {"asr": result["asr"], "peak_rss_mb": result["peak_rss_mb"]})
        if "phrases" in result:
            write_results("interpret-phrases", "interpret.py", argv,
                          {"phrases": result["phrases"], "peak_rss_mb": result["peak_rss_mb"]})
    if as_json:
        print(json.dumps(result, indent=2, ensure_ascii=False))
        return 0
    if "asr" in result:
        asr = result["asr"]
        print(f"ASR Whisper base (int8, 2 threads), load {asr['load_seconds']} s")
        print(f"{'clip':<36} {'lang':<5} {'metric':<6} {'error':>6} {'RTF':>6}")
        for row in asr["clips"]:
            print(f"{row['file']:<36} {row['language']:<5} {row['metric']:<6} "
                  f"{row['error_rate']:>6.3f} {row['rtf']:>6.3f}")
        print(f"RTF p50 {asr['rtf_p50']}; PocketSphinx on the English clip: "
              f"{asr['pocketsphinx_en']}")
    if "phrases" in result:
        ph = result["phrases"]
        print(f"\nphrasebook {ph['entries']} entries ({ph['phrasebook_version']}); held-out "
              f"paraphrases {ph['paraphrases']}; warm-up {ph['warm_seconds']} s")
        print(f"calibration (calibration half only): {ph['calibration']}")
        print(f"load average (1 min, 2 cores) before / after: {ph['load_average']}")

        def fmt(v: Any) -> str:
            return "—" if v is None else f"{v:.2f}"

        def table(rows: dict[str, Any], encoders: dict[str, Any]) -> None:
            print(f"{'lang':<5} {'encoder':<13} {'top1':>6} {'top3':>6} {'noMatchP':>9} "
                  f"{'noMatchR':>9} {'p50 ms':>7} {'p95 ms':>7} {'cpu p95':>7}")
            for lang, row in rows.items():
                print(f"{lang:<5} {encoders.get(lang, '—'):<13} {fmt(row['top1_accuracy']):>6} "
                      f"{fmt(row['top3_accuracy']):>6} {fmt(row['no_match_precision']):>9} "
                      f"{fmt(row['no_match_recall']):>9} {row['p50_ms']:>7.1f} "
                      f"{row['p95_ms']:>7.1f} {row.get('cpu_p95_ms', float('nan')):>7.1f}")

        if "choice" in ph:
            choice = ph["choice"]
            print("encoder choice (ADR 0004's rule, calibration half only):")
            for label, found in choice["candidates"].items():
                print(f"  {label:<24} {found['correct']}/{found['total']} correct  "
                      + "; ".join(f"{n} w={c['weight']} t={c['threshold']} "
                                  f"{c['correct']}/{c['total']}"
                                  for n, c in found["encoders"].items()))
            print(f"  chosen: {choice['choice']}; the table in use is "
                  + ("that choice" if choice["applied"] else "NOT that choice: apply it"))
        print("test half, each language with its chosen encoder:")
        table(ph["test"], ph["encoder_for"])
        for name, found in ph.get("encoders", {}).items():
            if not found.get("available"):
                print(f"\n{name}: not installed")
                continue
            print(f"\n{name} on every language it covers (calibrated: "
                  f"{found['calibration']}), test half:")
            table(found["test"], {lang: name for lang in found["test"]})
    print(f"peak RSS {result['peak_rss_mb']:.0f} MB")
    return 0


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--quick",
        action="store_true",
        help="fewer sentences (langid 50/language, MT 40 warm / 10 spawned, quality 50)",
    )
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--write", action="store_true",
                        help="write the figures to bench/results/interpret.json")
    parser.add_argument("--compare-encoders", action="store_true",
                        help="phrases: also measure every encoder on every language it covers")
    parser.add_argument("--choose-encoders", action="store_true",
                        help="phrases: run ADR 0004's encoder choice on the calibration half "
                             "(also part of --compare-encoders)")
    parser.add_argument("--only", default="",
                        help="comma-separated understanding sections: asr, phrases")
    args = parser.parse_args(argv)
    if args.only:
        sections = {s.strip() for s in args.only.split(",") if s.strip()}
        unknown = sections - {"asr", "phrases"}
        if unknown:
            parser.error(f"--only: unknown section {sorted(unknown)[0]!r} (asr, phrases)")
        return main_understanding(sections, args.json, args.write, argv,
                                  args.compare_encoders, args.choose_encoders)
    if args.write:  # records the commit before anything is measured
        from _results import write
    langid_n, mt_n, spawn_n, quality_n = (50, 40, 10, 50) if args.quick else (200, 200, 40, 200)

    langid = bench_langid(langid_n)
    mt = bench_mt(mt_n, spawn_n)
    asr_rtf, asr_text = bench_asr()
    quality = bench_quality(quality_n)
    peak_mb = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    result = {
        "langid_per_s": langid["langid_per_s"],
        "langid_sentences": langid["sentences"],
        "mt_p95_ms": mt["warm_p95_ms"],
        "mt": mt,
        "asr_rtf": asr_rtf,
        "quality": quality,
        "quality_sentences": quality_n,
        "peak_rss_mb": peak_mb,
        "quick": args.quick,
    }
    # Keyed by direction ("en-es") so model cards and tests can name one figure.
    result["quality_by_pair"] = {f"{row['source']}-{row['target']}": row for row in quality}
    tr.WARM.close()
    if args.write:
        write("interpret", "interpret.py", argv, result)
    if args.json:
        print(json.dumps(result, indent=2, ensure_ascii=False))
        return 0
    print(
        f"language ID      {langid['langid_per_s']:>10.0f} sentences/s "
        f"({langid['sentences']} FLORES sentences, {len(LANGID_LANGUAGES)} languages)"
    )
    print(
        f"MT {mt['mode']} warm   p50 {mt['warm_p50_ms']:>6.1f} ms  "
        f"p95 {mt['warm_p95_ms']:>6.1f} ms "
        f"({mt['sentences']} sentences; target p95 ≤ 300 ms)"
    )
    print(
        f"MT {mt['mode']} spawn  p50 {mt['spawn_p50_ms']:>6.1f} ms  p95 "
        f"{mt['spawn_p95_ms']:>6.1f} ms ({mt['spawn_sentences']} sentences, apertium -u per "
        "call)"
    )
    print(f"ASR real-time factor {asr_text}")
    print(f"peak RSS {peak_mb:.0f} MB")
    print(f"\nquality on the first {quality_n} FLORES-200 devtest sentences (sacrebleu)")
    print(f"{'pair':<7} {'engine':<24} {'pivot':<6} {'chrF2':>6} {'BLEU':>6}")
    for row in quality:
        print(
            f"{row['source']}→{row['target']:<4} {' + '.join(row['modes']):<24} "
            f"{row['pivot'] or '—':<6} {row['chrf']:>6.1f} {row['bleu']:>6.1f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
