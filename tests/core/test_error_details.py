"""Every error a reader sees is translatable: no English text built in code.

An error's message is a msgid, and the text it carries as ``detail`` or ``reason`` is a Message
(``M_``); an f-string or plain string there would reach a Chinese reader in English. This
test reads the source of every Accord module and names the first such call it finds.
"""

from __future__ import annotations

import ast
from pathlib import Path

SOURCE = Path(__file__).resolve().parents[2] / "src" / "accord"
#: Parameters that hold words for the reader (a number or a code is fine as it is).
TEXT_PARAMS = {"detail", "reason"}


def _error_classes(trees: dict[Path, ast.Module]) -> set[str]:
    """Names of AccordError and every class derived from it, however deep."""
    names = {"AccordError"}
    grew = True
    while grew:
        grew = False
        for tree in trees.values():
            for node in ast.walk(tree):
                if isinstance(node, ast.ClassDef) and node.name not in names:
                    bases = {getattr(b, "id", getattr(b, "attr", "")) for b in node.bases}
                    if bases & names:
                        names.add(node.name)
                        grew = True
    return names


def _is_text(node: ast.expr) -> bool:
    return isinstance(node, ast.JoinedStr) or (
        isinstance(node, ast.Constant) and isinstance(node.value, str))


def test_errors_carry_messages_not_english_strings() -> None:
    trees = {path: ast.parse(path.read_text(encoding="utf-8"))
             for path in sorted(SOURCE.rglob("*.py"))}
    errors = _error_classes(trees)
    assert {"ValidationFailed", "Conflict", "ForecastInputError"} <= errors
    found = []
    for path, tree in trees.items():
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "id", getattr(node.func, "attr", ""))
            if name not in errors:
                continue
            where = f"{path.relative_to(SOURCE)}:{node.lineno}"
            if node.args and isinstance(node.args[0], ast.JoinedStr):
                found.append(f"{where}: {name}(f'…') is no msgid")
            found += [f"{where}: {name}({k.arg}=…) is English text, not M_()"
                      for k in node.keywords if k.arg in TEXT_PARAMS and _is_text(k.value)]
    assert not found, "\n".join(found)
