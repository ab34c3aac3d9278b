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


#: The short-input section: the twelve content languages and the close pairs the issue
#: measured (Malay/Indonesian, Uzbek in Latin and in Cyrillic letters).
SHORT = {
    "zho_Hans": "zh", "eng_Latn": "en", "rus_Cyrl": "ru", "fra_Latn": "fr", "spa_Latn": "es",
    "deu_Latn": "de", "por_Latn": "pt", "jpn_Jpan": "ja", "kor_Hang": "ko", "arb_Arab": "ar",
    "vie_Latn": "vi", "tha_Thai": "th", "zsm_Latn": "ms", "ind_Latn": "id", "uzn_Latn": "uz",
    "uzn_Cyrl": "uz",
}
UNSPACED = {"zho_Hans", "jpn_Jpan", "tha_Thai"}
_UZ_PAIRS = {"o'": "ў", "g'": "ғ", "sh": "ш", "ch": "ч", "yo": "ё", "yu": "ю", "ya": "я"}
_UZ_LETTERS = dict(zip("abdefghijklmnopqrstuvxyz", "абдефгҳижклмнопқрстувхйз", strict=True))


def uzbek_cyrillic(text: str) -> str:
    """Latin Uzbek in Uzbek Cyrillic letters (the official correspondence: o' ў, g' ғ, q қ,
    h ҳ, x х, sh ш, ch ч, yo ё, yu ю, ya я, e э at a word's start, ' ъ). FLORES has no
    Cyrillic Uzbek; this is how the issue's "Cyrillic Uzbek called Russian" is measured."""
    text = text.replace("\u2018", "'").replace("\u02bb", "'").replace("\u2019", "'")
    out: list[str] = []
    i = 0
    while i < len(text):
        pair = text[i:i + 2].lower()
        upper = text[i].isupper()
        if pair in _UZ_PAIRS and not (pair[1] == "o" and text[i + 2:i + 3] == "'"):
            letter, i = _UZ_PAIRS[pair], i + 2
        elif text[i].lower() == "e" and (i == 0 or not text[i - 1].isalpha()):
            letter, i = "э", i + 1
        elif text[i] == "'":
            letter, i = "ъ", i + 1
        else:
            letter, i = _UZ_LETTERS.get(text[i].lower(), text[i]), i + 1
        out.append(letter.upper() if upper else letter)
    return "".join(out)


def short_inputs(code: str, n: int) -> list[str]:
    """The first 3–6 words (5–10 characters for unspaced scripts) of n FLORES sentences."""
    name = "uzn_Latn" if code == "uzn_Cyrl" else code
    sentences = (FLORES / "devtest" / f"{name}.devtest").read_text(
        encoding="utf-8").splitlines()[:n]
    if code == "uzn_Cyrl":
        sentences = [uzbek_cyrillic(s) for s in sentences]
    if code in UNSPACED:
        return [s[:5 + i % 6] for i, s in enumerate(sentences)]
    return [" ".join(s.split()[:3 + i % 4]) for i, s in enumerate(sentences)]


def bench_short(n: int) -> dict[str, dict[str, float | int]]:
    """Through the capability's rules (``run_langid``): top-1, in the top 3, flagged (below
    the short floor or "ask the person"), and SILENT errors — a wrong top guess shown as
    certain, the failure the rules exist to prevent."""
    from accord.interpret.langid import run_langid

    rows: dict[str, dict[str, float | int]] = {}
    for code, expected in SHORT.items():
        texts = short_inputs(code, n)
        top1 = top3 = flagged = silent = asked = 0
        for text in texts:
            out = run_langid({"text": text}).output
            right = out["language"] == expected
            top1 += right
            top3 += expected in [c["language"] for c in out["candidates"]]
            flagged += out["uncertain"]
            asked += out["ask_person"]
            silent += (not right) and not out["uncertain"]
        rows[code] = {"n": len(texts), "top1": round(top1 / len(texts), 3),
                      "top3": round(top3 / len(texts), 3),
                      "flagged": round(flagged / len(texts), 3),
                      "ask_person": round(asked / len(texts), 3),
                      "silent_errors": silent}
    return rows


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
              "language_count": len(rows), "short": bench_short(50 if args.quick else 200)}
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
    print("\nshort input (3-6 words; 5-10 characters for zh/ja/th), through the capability's rules")
    print(f"{'language':<10} {'n':>4} {'top-1':>6} {'top-3':>6} {'flagged':>8} {'ask':>6} "
          f"{'silent errors':>14}")
    for code, row in result["short"].items():
        print(f"{code:<10} {row['n']:>4} {row['top1']:>6.0%} {row['top3']:>6.0%} "
              f"{row['flagged']:>8.0%} {row['ask_person']:>6.0%} {row['silent_errors']:>14}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
