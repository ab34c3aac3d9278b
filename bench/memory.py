"""Peak memory of one server process with every default model loaded.

Including Whisper base and the sentence encoders (multilingual-e5-small, one engine shared by
phrase matching and the knowledge lookup: ``accord.encoders.e5``; USE-m3, one shared by the
knowledge lookup and the case classifier: ``accord.encoders.use``).

The budget is 2 GiB for the web process after every capability has been used once. Models load
lazily and are shared within a process, so this script builds the web app, then uses each model
once in the order an officer's day might, and prints the resident set size after each step and
the peak (VmHWM). Apertium and tesseract run as separate programs; their processes are listed
separately, since they do not count against the web process.

    .venv/bin/python bench/memory.py [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

BUDGET_MIB = 2048


def _status(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _children_rss_mib() -> float:
    """RSS of child processes of this process (warm Apertium pipelines)."""
    total = 0.0
    me = str(os.getpid())
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            stat = (proc / "stat").read_text().rsplit(")", 1)[1].split()
            if stat[1] != me and stat[2] != me:  # parent pid or process group
                continue
            for line in (proc / "status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) / 1024
        except (OSError, IndexError):
            continue
    return total


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    state = tempfile.mkdtemp(prefix="accord-mem-")
    os.environ["ACCORD_STATE_DIR"] = state
    os.environ.setdefault("ACCORD_EMBEDDED_WORKER", "false")
    from accord.core import migrate
    from accord.core.runtime import get_settings

    migrate.upgrade(get_settings().resolved_database_url)

    from accord.assembly import create_app

    steps: list[tuple[str, Callable[[], object]]] = []
    steps.append(("web app (FastAPI, Cedar policies, registry)", create_app))

    def langid() -> object:
        from accord.interpret.langid import identify

        return identify("Mi pasaporte fue robado ayer en el metro.")

    def translate() -> object:
        from accord.interpret import translate as tr

        return tr.translate("My passport was stolen yesterday.", "en", "es")

    def glossary() -> object:
        from accord.interpret.glossary import gloss_chinese

        return gloss_chinese("我的护照被偷了")

    def extract() -> object:
        from accord.cases.extract import extract as run

        run("At 21:30 a man in a red jacket took my passport E1234567.", "en")
        return run("晚上9点半，一个穿红色外套的男子在三里屯拿走了我的护照。", "zh")

    def search() -> object:
        from accord.cases.search import tokenize

        return tokenize("护照在地铁站被偷了")

    def speech() -> object:
        from accord.interpret.piper_voice import speak_neural_en
        from accord.interpret.speech import transcribe

        return transcribe(speak_neural_en("My passport was stolen at the station."), "en")

    def whisper() -> object:
        from accord.interpret import whisper_asr
        from accord.interpret.speech import load_wav

        clip = whisper_asr.speech_data_dir() / "librispeech-1995-1837-0001.wav"
        return whisper_asr.transcribe(load_wav(clip.read_bytes()).samples, "en")

    def phrases() -> object:
        from accord.interpret.phrase_match import warm

        return warm()  # every language's encoder and entry vectors, as a worker's start does

    def knowledge() -> object:
        from accord.knowledge import encoder

        question = "外国人住宾馆以外的地方要登记吗？"
        return encoder.encode([question]), encoder.encode_e5([question], query=True)

    def classify() -> object:
        from accord.cases.classify import classify as run

        return run("Someone took my phone from my bag on the metro.", "en")

    def forecast() -> object:
        from accord.forecast.capability import run_forecast

        return run_forecast({"dataset": "sf-2012h2", "method": "kde"})

    steps += [("language identification (fastText lid.176)", langid),
              ("translation (warm Apertium pipelines)", translate),
              ("CC-CEDICT glossary", glossary),
              ("entity extraction (spaCy en_core_web_sm + jieba)", extract),
              ("case search tokeniser (jieba, shared)", search),
              ("speech (piper voice + pocketsphinx)", speech),
              ("speech recognition (Whisper base, faster-whisper int8)", whisper),
              ("phrase matching (e5-small on ONNX Runtime, 12 languages)", phrases),
              ("knowledge lookup (USE-m3 + the same e5 engine)", knowledge),
              ("case classification (the same USE-m3)", classify),
              ("hotspot forecast (KDE on the SF dataset)", forecast)]

    rows = []
    baseline = _status("VmRSS")
    rows.append({"step": "python + accord imports", "rss_mib": round(baseline, 1),
                 "seconds": 0.0})
    for name, run in steps:
        started = time.perf_counter()
        run()
        rows.append({"step": name, "rss_mib": round(_status("VmRSS"), 1),
                     "seconds": round(time.perf_counter() - started, 2)})
    peak = _status("VmHWM")
    children = _children_rss_mib()
    result = {"rows": rows, "peak_rss_mib": round(peak, 1),
              "child_processes_rss_mib": round(children, 1), "budget_mib": BUDGET_MIB,
              "within_budget": peak < BUDGET_MIB}
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    print(f"{'step':52} {'RSS MiB':>9} {'load s':>8}")
    for row in rows:
        print(f"{row['step']:52} {row['rss_mib']:9.1f} {row['seconds']:8.2f}")
    print(f"{'peak RSS of the web process (VmHWM)':52} {peak:9.1f}")
    print(f"{'child processes (Apertium pipelines)':52} {children:9.1f}")
    print(f"budget {BUDGET_MIB} MiB: {'met' if peak < BUDGET_MIB else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
