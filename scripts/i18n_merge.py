"""Re-extract UI strings and merge Chinese translations from JSON files into the zh_Hans catalog.

    .venv/bin/python scripts/i18n_merge.py [docs/i18n-pending/*.zh.json ...]

Each JSON file maps English msgids to Simplified Chinese; a message with a context (``pgettext``,
marked ``NC_(context, message)``) is keyed ``"context\u0004message"`` (gettext's own
separator). Messages already translated in the catalog keep their translation unless a JSON
file gives a new one. Prints what is still
untranslated and exits 1 if anything is.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parents[1]
POT = ROOT / "src/accord/locale/messages.pot"
PO = ROOT / "src/accord/locale/zh_Hans/LC_MESSAGES/messages.po"


def _key(context: str | None, msgid: object) -> str:
    """The JSON key of a message: its msgid, or ``context\x04msgid`` when it has a context."""
    return f"{context}\x04{msgid}" if context else str(msgid)


def main(paths: list[str]) -> int:
    pybabel = Path(sys.executable).parent / "pybabel"
    subprocess.run([str(pybabel), "extract", "-F", str(ROOT / "babel.cfg"), "-k", "N_",
                    "-k", "M_", "-k", "_", "-k", "NC_:1c,2", "--no-location", "--sort-output",
                    "--project=Accord", "-o", str(POT), str(ROOT)],
                   check=True, capture_output=True, cwd=ROOT)
    with PO.open("rb") as handle:
        existing = {_key(m.context, m.id): m.string for m in read_po(handle) if m.id}
    for path in paths:
        existing.update(json.loads(Path(path).read_text(encoding="utf-8")))
    with POT.open("rb") as handle:
        template = read_po(handle)
    catalog = Catalog(locale="zh_Hans", project="Accord")
    missing = []
    for message in template:
        if not message.id:
            continue
        key = _key(message.context, message.id)
        translation = existing.get(key, "")
        if not translation:
            missing.append(key)
        catalog.add(message.id, translation, flags=message.flags, context=message.context)
    with PO.open("wb") as handle:
        write_po(handle, catalog, sort_output=True, width=100)
    for msgid in missing:
        print(f"untranslated: {msgid!r}")
    print(f"{len(catalog)} messages, {len(missing)} untranslated")
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
