"""Language-identification accuracy and throughput on FLORES-200 devtest.

    python bench/langid.py [--quick] [--json]

Accuracy is top-1 against the FLORES language of each sentence (Chinese scripts and Cantonese
count as 'zh'). Throughput is measured for the model alone and through the governed gateway is
reported by bench/ledger.py.
"""

from __future__ import annotations

import argparse
import json
import sys
import time

from accord.interpret.langid import identify
from accord.shared_data import shared_dir

FLORES = shared_dir() / "data" / "parallel" / "flores200"
# FLORES code -> the code lid.176 uses.
EXPECTED = {
    "arb_Arab": "ar", "ben_Beng": "bn", "cat_Latn": "ca", "deu_Latn": "de", "eng_Latn": "en",
    "fra_Latn": "fr", "heb_Hebr": "he", "hin_Deva": "hi", "ind_Latn": "id", "ita_Latn": "it",
    "jpn_Jpan": "ja", "kaz_Cyrl": "kk", "khk_Cyrl": "mn", "khm_Khmr": "km", "kor_Hang": "ko",
    "lao_Laoo": "lo", "mya_Mymr": "my", "nld_Latn": "nl", "npi_Deva": "ne", "pes_Arab": "fa",
    "pol_Latn": "pl", "por_Latn": "pt", "rus_Cyrl": "ru", "spa_Latn": "es", "tgl_Latn": "tl",
    "tha_Thai": "th", "tur_Latn": "tr", "ukr_Cyrl": "uk", "urd_Arab": "ur", "uzn_Latn": "uz",
    "vie_Latn": "vi", "yue_Hant": "zh", "zho_Hans": "zh", "zho_Hant": "zh", "zsm_Latn": "ms",
}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="100 sentences per language")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--write", action="store_true",
                        help="write the figures to bench/results/langid.json")
    args = parser.parse_args(argv)
    if args.write:  # records the commit before anything is measured
        from _results import write
    limit = 100 if args.quick else None
    rows = []
    total = correct = 0
    elapsed = 0.0
    identify("warm up")
    for code, expected in sorted(EXPECTED.items()):
        path = FLORES / "devtest" / f"{code}.devtest"
        if not path.exists():
            continue
        sentences = path.read_text(encoding="utf-8").splitlines()[:limit]
        started = time.perf_counter()
        hits = sum(identify(s, k=1)[0]["language"] == expected for s in sentences)
        elapsed += time.perf_counter() - started
        rows.append({"language": code, "expected": expected, "n": len(sentences),
                     "accuracy": round(hits / len(sentences), 4)})
        total += len(sentences)
        correct += hits
    result = {"sentences": total, "accuracy": round(correct / total, 4),
              "langid_per_s": round(total / elapsed, 1), "languages": rows,
              "by_language": {row["language"]: row["accuracy"] for row in rows},
              "language_count": len(rows)}
    if args.write:
        write("langid", "langid.py", argv, result)
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    print(f"{'language':<10} {'expect':<6} {'n':>5} {'top-1':>7}")
    for row in rows:
        print(f"{row['language']:<10} {row['expected']:<6} {row['n']:>5} {row['accuracy']:>7.1%}")
    print(f"{'all':<10} {'':<6} {total:>5} {result['accuracy']:>7.1%}   "
          f"{result['langid_per_s']:.0f} texts/s (model only, one thread)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
