"""Every UI string of the interview pages has a Chinese translation, in the catalog or (until
the maintainers merge it) in docs/i18n-pending/interviews.zh.json."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po

from accord.core.i18n import LOCALE_DIR

ROOT = Path(__file__).resolve().parents[2]
PENDING = ROOT / "docs" / "i18n-pending" / "interviews.zh.json"
SOURCES = [
    *sorted((ROOT / "src" / "accord" / "interpret").glob("*.py")),
    ROOT / "src" / "accord" / "interpret" / "routes" / "interviews.py",
    *sorted((ROOT / "src" / "accord" / "interpret" / "templates" / "interpret" / "interviews")
            .glob("*.html")),
    *sorted((ROOT / "src" / "accord" / "interpret" / "templates" / "public")
            .glob("report*.html")),
    *sorted((ROOT / "src" / "accord" / "interpret" / "templates" / "public")
            .glob("notices*.html")),
]


def test_interview_strings_have_chinese(tmp_path: Path) -> None:
    tree = tmp_path / "src"
    for index, source in enumerate(SOURCES):
        target = tree / str(index) / source.name
        target.parent.mkdir(parents=True)
        shutil.copyfile(source, target)
    config = tmp_path / "babel.cfg"
    config.write_text("[python: **.py]\n[jinja2: **.html]\nextensions = jinja2.ext.i18n\n")
    pot = tmp_path / "messages.pot"
    subprocess.run([str(Path(sys.executable).parent / "pybabel"), "extract", "-F", str(config),
                    "-k", "N_", "-k", "M_", "-k", "_", "--no-location", "-o", str(pot), str(tree)],
                   check=True, capture_output=True)
    with pot.open("rb") as handle:
        wanted = {m.id for m in read_po(handle) if m.id}
    with (LOCALE_DIR / "zh_Hans" / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        catalog = {m.id: m.string for m in read_po(handle) if m.id}
    pending = json.loads(PENDING.read_text(encoding="utf-8"))
    missing = sorted(m for m in wanted if not catalog.get(m) and not pending.get(m))
    assert not missing, f"no Chinese for: {missing}"
    assert len(wanted) > 30
    for msgid, chinese in pending.items():
        assert any("\u4e00" <= ch <= "\u9fff" for ch in chinese), msgid
        assert sorted(_placeholders(msgid)) == sorted(_placeholders(chinese)), msgid


def _placeholders(text: str) -> list[str]:
    return re.findall(r"%\(\w+\)[sd]", text)
