"""Join the Whisper base model's two halves into the state directory and check its SHA-256.

    PYTHONPATH=src python scripts/join_whisper_model.py [--verify]

The server does the same on first use; running this at install time moves the one-second join
(and the 145 MB write) out of the first officer's request. ``--verify`` re-hashes an existing
join.
"""

from __future__ import annotations

import sys

from accord.interpret import whisper_asr


def main(argv: list[str]) -> int:
    try:
        directory = whisper_asr.model_dir()
        if "--verify" in argv:
            whisper_asr.verify()
    except whisper_asr.WhisperUnavailable as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(f"Whisper base ready in {directory} (model.bin SHA-256 {whisper_asr.MODEL_SHA256})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
