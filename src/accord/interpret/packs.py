"""Operator-installed translation model packs (CTranslate2), verified and measured before use.

No registry package ships usable weights for zh/ru/ar/ja/ko↔en (see the shared MODELS.md), so
an operator brings a pack as a file: OPUS-MT, NLLB or Argos models converted with the
CTranslate2 converter, plus their SentencePiece models and a ``manifest.json``::

    {"name": "opus-mt-zh-en", "version": "2024-01", "source_language": "zh",
     "target_language": "en", "engine": "ctranslate2", "licence": "CC-BY-4.0",
     "licence_text_file": "LICENSE", "source": "https://… or how it was obtained",
     "model_dir": "model", "source_spm": "source.spm", "target_spm": "target.spm",
     "files": {"model/model.bin": "<sha256>", …}}

``install_pack`` checks every listed file's SHA-256 (and refuses files not listed), requires a
licence, loads the model to prove it runs, scores it on FLORES-200 devtest with sacrebleu, and
only then moves it to ``<state_dir>/models/<name>-<version>/`` and records it. A pair is
*offered* when chrF2 reaches the gate, else *advisory*. The gate is the ``min_chrf`` argument
of :func:`install_pack`: :data:`accord.interpret.translate.ADVISORY_CHRF` (40, the bar Apertium
pairs are held to) or stricter; the bar a pack was judged against is recorded with it.
Any failure leaves the database and the packs already installed untouched.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import tarfile
import tempfile
import threading
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select

from accord.core.db import Database, utcnow
from accord.core.errors import AccordError
from accord.core.i18n import M_, N_, Message
from accord.interpret.pack_models import TranslationPack

MANIFEST = "manifest.json"
ENGINE = "ctranslate2"
DEFAULT_SENTENCES = 200
MAX_DECODING_LENGTH = 256
_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
_VERSION = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


class PackRejected(AccordError):
    """The pack was not installed; nothing stored was changed."""

    status = 422
    message = N_(
        "Model pack not installed: %(detail)s. Nothing stored was changed; until a "
        "pack for this pair is installed, request an interpreter."
    )


@dataclass(frozen=True)
class Manifest:
    name: str
    version: str
    source_language: str
    target_language: str
    licence: str
    source: str
    files: dict[str, str]
    engine: str = ENGINE
    licence_text_file: str | None = None
    model_dir: str = "model"
    source_spm: str = "source.spm"
    target_spm: str = "target.spm"
    source_prefix: tuple[str, ...] = ()
    source_suffix: tuple[str, ...] = ("</s>",)
    target_prefix: tuple[str, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def directory_name(self) -> str:
        return f"{self.name}-{self.version}"


def _reject(detail: Message) -> PackRejected:
    return PackRejected(detail=detail)


def parse_manifest(data: Any, known_languages: Sequence[str]) -> Manifest:
    """Validate a decoded manifest; every problem is named."""
    if not isinstance(data, dict):
        raise _reject(M_("manifest.json is not a JSON object"))
    missing = [
        k
        for k in ("name", "version", "source_language", "target_language", "source", "files")
        if not data.get(k)
    ]
    if missing:
        raise _reject(M_("manifest.json is missing %(missing)s", missing=', '.join(missing)))
    licence = data.get("licence") or data.get("license")
    if not isinstance(licence, str) or not licence.strip():
        raise _reject(M_("manifest.json has no licence: a pack without a licence cannot be used"))
    name, version = str(data["name"]), str(data["version"])
    if not _NAME.match(name):
        raise _reject(M_("manifest name %(name)r: use lower-case letters, digits, '.', '_', '-'",
                         name=name))
    if not _VERSION.match(version):
        raise _reject(M_("manifest version %(version)r: use letters, digits, '.', '_', '-'",
                         version=version))
    engine = str(data.get("engine", ENGINE))
    if engine != ENGINE:
        raise _reject(M_("engine %(engine)r is not supported (only %(supported)r)",
                         engine=engine, supported=ENGINE))
    src, tgt = str(data["source_language"]), str(data["target_language"])
    for code in (src, tgt):
        if code not in known_languages:
            raise _reject(
                M_("language %(code)r has no FLORES-200 test set here, so the pack's quality "
                   "cannot be measured (known: %(known_languages)s)",
                   code=code, known_languages=', '.join(known_languages))
            )
    if src == tgt:
        raise _reject(M_("source_language and target_language are the same"))
    files = data["files"]
    if not isinstance(files, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in files.items()
    ):
        raise _reject(M_("manifest files must map relative paths to SHA-256 hex digests"))
    for rel, digest in files.items():
        _safe_relative(rel)
        if not _SHA256.match(digest.lower()):
            raise _reject(M_("manifest entry %(rel)r has no valid SHA-256 digest", rel=rel))
    licence_file = data.get("licence_text_file") or data.get("license_text_file")
    if licence_file and licence_file not in files:
        raise _reject(M_("licence text file %(licence_file)r is not listed in files",
                         licence_file=licence_file))

    def tokens(key: str, default: tuple[str, ...]) -> tuple[str, ...]:
        value = data.get(key, list(default))
        if not isinstance(value, list) or not all(isinstance(t, str) for t in value):
            raise _reject(M_("manifest %(key)s must be a list of tokens", key=key))
        return tuple(value)

    return Manifest(
        name=name,
        version=version,
        source_language=src,
        target_language=tgt,
        licence=licence.strip()[:128],
        source=str(data["source"]),
        files={k: v.lower() for k, v in files.items()},
        engine=engine,
        licence_text_file=licence_file or None,
        model_dir=str(data.get("model_dir", "model")),
        source_spm=str(data.get("source_spm", "source.spm")),
        target_spm=str(data.get("target_spm", "target.spm")),
        source_prefix=tokens("source_prefix", ()),
        source_suffix=tokens("source_suffix", ("</s>",)),
        target_prefix=tokens("target_prefix", ()),
    )


def _safe_relative(rel: str) -> Path:
    path = Path(rel)
    if path.is_absolute() or ".." in path.parts or not path.parts:
        raise _reject(M_("path %(rel)r in the pack leaves the pack directory", rel=rel))
    return path


def sha256_file(path: Path) -> str:
    sha = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            sha.update(block)
    return sha.hexdigest()


# -- unpacking -----------------------------------------------------------------------------------
def _unpack(source: Path, into: Path) -> Path:
    """Copy or extract the pack into ``into``; returns the directory holding manifest.json."""
    if not source.exists():
        raise _reject(M_("%(source)s does not exist", source=source))
    if source.is_dir():
        shutil.copytree(source, into / "pack", symlinks=False)
    elif zipfile.is_zipfile(source):
        try:
            with zipfile.ZipFile(source) as archive:
                for member in archive.namelist():
                    _safe_relative(member.rstrip("/") or ".")
                if archive.testzip() is not None:
                    raise _reject(M_("%(name)s is a corrupt zip archive", name=source.name))
                archive.extractall(into / "pack")  # noqa: S202 - member paths checked above
        except (zipfile.BadZipFile, OSError, EOFError) as error:
            raise _reject(M_("%(name)s is a corrupt zip archive (%(error)s)",
                             name=source.name, error=error)) from None
    else:
        try:
            with tarfile.open(source) as archive:
                archive.extractall(into / "pack", filter="data")
        except (tarfile.TarError, OSError, EOFError) as error:
            raise _reject(M_("%(name)s is not a readable .tar.gz/.zip pack (%(error)s)",
                             name=source.name, error=error)) from None
    root = into / "pack"
    if not (root / MANIFEST).is_file():
        children = [p for p in root.iterdir()] if root.is_dir() else []
        if len(children) == 1 and (children[0] / MANIFEST).is_file():
            root = children[0]
        else:
            raise _reject(M_("%(name)s has no %(manifest)s", name=source.name, manifest=MANIFEST))
    return root


def _verify_files(root: Path, manifest: Manifest) -> None:
    for rel, digest in sorted(manifest.files.items()):
        path = root / _safe_relative(rel)
        if not path.is_file():
            raise _reject(M_("file %(rel)r listed in the manifest is missing", rel=rel))
        actual = sha256_file(path)
        if actual != digest:
            raise _reject(
                M_("checksum mismatch for %(rel)r: manifest says %(digest)s…, file is %(actual)s…",
                   rel=rel, digest=digest[:12], actual=actual[:12])
            )
    listed = set(manifest.files) | {MANIFEST}
    extra = sorted(
        str(p.relative_to(root))
        for p in root.rglob("*")
        if p.is_file() and str(p.relative_to(root)) not in listed
    )
    if extra:
        raise _reject(
            M_("files not listed (and so not verified) in the manifest: %(extra)s",
               extra=', '.join(extra[:5]))
        )
    for needed in (f"{manifest.model_dir}/model.bin", manifest.source_spm, manifest.target_spm):
        if needed not in manifest.files:
            raise _reject(M_("the pack has no %(needed)r", needed=needed))


def read_manifest_file(root: Path, known_languages: Sequence[str]) -> Manifest:
    try:
        data = json.loads((root / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise _reject(M_("%(manifest)s cannot be read (%(error)s)",
                         manifest=MANIFEST, error=error)) from None
    return parse_manifest(data, known_languages)


# -- running a pack -------------------------------------------------------------------------------
class PackEngine:
    """A loaded CTranslate2 translator and its SentencePiece models (thread-safe)."""

    def __init__(self, root: Path, manifest: Manifest) -> None:
        import ctranslate2
        import sentencepiece

        self.root = root
        self.manifest = manifest
        self.translator = ctranslate2.Translator(
            str(root / manifest.model_dir), device="cpu", inter_threads=1, intra_threads=2
        )
        self.source_sp = sentencepiece.SentencePieceProcessor(
            model_file=str(root / manifest.source_spm)
        )
        self.target_sp = sentencepiece.SentencePieceProcessor(
            model_file=str(root / manifest.target_spm)
        )
        self._lock = threading.Lock()

    def translate_batch(self, texts: Sequence[str], beam_size: int = 2) -> list[str]:
        m = self.manifest
        batch = [
            [*m.source_prefix, *self.source_sp.encode(t, out_type=str), *m.source_suffix]
            for t in texts
        ]
        prefixes = [list(m.target_prefix)] * len(batch) if m.target_prefix else None
        with self._lock:
            results = self.translator.translate_batch(
                batch,
                target_prefix=prefixes,
                beam_size=beam_size,
                max_decoding_length=MAX_DECODING_LENGTH,
            )
        out = []
        for result in results:
            tokens = [t for t in result.hypotheses[0] if t not in m.target_prefix]
            out.append(self.target_sp.decode(tokens))
        return out

    def translate(self, text: str) -> str:
        lines = text.split("\n")
        done = self.translate_batch([line for line in lines if line.strip()])
        it = iter(done)
        return "\n".join(next(it) if line.strip() else line for line in lines)


_engines: dict[str, PackEngine] = {}
_engines_lock = threading.Lock()


def models_dir(state_dir: Path) -> Path:
    return state_dir / "models"


def engine_for(state_dir: Path, pack: TranslationPack) -> PackEngine:
    """The loaded engine for an installed pack (loaded once per process)."""
    root = models_dir(state_dir) / pack.directory
    key = str(root)
    with _engines_lock:
        engine = _engines.get(key)
        if engine is None:
            manifest = read_manifest_file(root, _known_languages())
            engine = PackEngine(root, manifest)
            _engines[key] = engine
        return engine


def _known_languages() -> list[str]:
    from accord.interpret.translate import FLORES_CODES

    return sorted(FLORES_CODES)


# -- quality -----------------------------------------------------------------------------------
def score(engine: PackEngine, n: int) -> tuple[float, float]:
    """(chrF2, BLEU) of the pack on the first ``n`` FLORES-200 devtest sentences."""
    import sacrebleu

    from accord.interpret.translate import flores_sentences

    m = engine.manifest
    sources = flores_sentences(m.source_language, n)
    references = flores_sentences(m.target_language, n)
    hypotheses: list[str] = []
    for start in range(0, len(sources), 16):
        hypotheses.extend(engine.translate_batch(sources[start : start + 16]))
    chrf = sacrebleu.corpus_chrf(hypotheses, [references]).score
    bleu = sacrebleu.corpus_bleu(
        hypotheses, [references], tokenize=bleu_tokenizer(m.target_language)
    ).score
    return round(float(chrf), 1), round(float(bleu), 1)


def bleu_tokenizer(language: str) -> str:
    return {"zh": "zh", "ja": "char", "th": "char"}.get(language, "13a")


# -- install / list ------------------------------------------------------------------------------
@dataclass(frozen=True)
class InstallResult:
    pack: dict[str, Any]
    replaced_offered: bool


def pack_row(pack: TranslationPack) -> dict[str, Any]:
    return {
        "id": pack.id,
        "name": pack.name,
        "version": pack.version,
        "source_language": pack.source_language,
        "target_language": pack.target_language,
        "engine": pack.engine,
        "licence": pack.licence,
        "source": pack.source,
        "directory": pack.directory,
        "status": pack.status,
        "chrf": pack.chrf,
        "bleu": pack.bleu,
        "sentences": pack.sentences,
        "measured_command": pack.measured_command,
        "measured_at": _iso(pack.measured_at),
        "installed_by": pack.installed_by,
        "installed_at": _iso(pack.installed_at),
    }


def _iso(value: datetime | None) -> str | None:
    return value.isoformat(timespec="seconds") if value else None


def list_packs(database: Database) -> list[dict[str, Any]]:
    with database.session() as session:
        rows = session.scalars(
            select(TranslationPack).order_by(
                TranslationPack.source_language,
                TranslationPack.target_language,
                TranslationPack.installed_at,
            )
        ).all()
        return [pack_row(p) for p in rows]


def best_pack(database: Database, src: str, tgt: str) -> TranslationPack | None:
    """The pack that serves ``src``→``tgt``: offered before advisory, then best chrF, newest.

    So a newer version that scores below the bar never displaces an older one that passed.
    """
    with database.session() as session:
        rows = list(
            session.scalars(
                select(TranslationPack).where(
                    TranslationPack.source_language == src, TranslationPack.target_language == tgt
                )
            )
        )
        if not rows:
            return None
        rows.sort(key=lambda p: (p.status == "offered", p.chrf, p.installed_at), reverse=True)
        session.expunge(rows[0])
        return rows[0]


def pack_index(database: Database) -> dict[tuple[str, str], TranslationPack]:
    """Every pair's serving pack (the :func:`best_pack` rule), in one query."""
    with database.session() as session:
        rows = list(session.scalars(select(TranslationPack)))
        for row in rows:
            session.expunge(row)
    index: dict[tuple[str, str], TranslationPack] = {}
    for row in sorted(rows, key=lambda p: (p.status == "offered", p.chrf, p.installed_at)):
        index[(row.source_language, row.target_language)] = row
    return index


def install_pack(
    path: Path,
    database: Database,
    state_dir: Path,
    *,
    sentences: int = DEFAULT_SENTENCES,
    installed_by: str = "",
    min_chrf: float | None = None,
) -> dict[str, Any]:
    """Verify, load, measure and record a pack. Raises :class:`PackRejected` naming the problem.

    ``min_chrf`` is the quality gate: the pack is *offered* when its measured chrF2 is at least
    this, else *advisory*. It defaults to ``ADVISORY_CHRF`` and may only be raised: an operator
    may hold a pair to a stricter bar, never a laxer one than the pairs page and model card
    state. It is a parameter (not a constant read inside) so the gate's edge can be tested with
    a real measured pack. The bar used is recorded in the pack's ``measured_command``.
    """
    from accord.interpret.translate import ADVISORY_CHRF

    if sentences < 1:
        raise _reject(M_("--sentences must be at least 1"))
    gate = ADVISORY_CHRF if min_chrf is None else float(min_chrf)
    if not ADVISORY_CHRF <= gate <= 100.0:
        # Never below the documented bar: the pairs page and model card promise it.
        raise _reject(M_("the chrF2 gate must be between %(advisory_chrf)g and 100, not %(gate)g",
                         advisory_chrf=ADVISORY_CHRF, gate=gate))
    target_root = models_dir(state_dir)
    target_root.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".staging-", dir=target_root) as staging:
        root = _unpack(Path(path), Path(staging))
        manifest = read_manifest_file(root, _known_languages())
        _verify_files(root, manifest)
        with database.session() as session:
            exists = session.scalar(
                select(TranslationPack.id).where(
                    TranslationPack.name == manifest.name,
                    TranslationPack.version == manifest.version,
                )
            )
        final = target_root / manifest.directory_name
        if exists is not None or final.exists():
            raise _reject(
                M_("%(directory_name)s is already installed; give the new pack a new version",
                   directory_name=manifest.directory_name)
            )
        try:
            engine = PackEngine(root, manifest)
            engine.translate_batch(["Test."])
        except AccordError:
            raise
        except Exception as error:  # ctranslate2/sentencepiece raise RuntimeError and others
            raise _reject(
                M_("the model does not load or run with CTranslate2 (%(kind)s: %(error)s)",
                   kind=type(error).__name__, error=str(error)[:200])
            ) from None
        chrf, bleu = score(engine, sentences)
        status = "offered" if chrf >= gate else "advisory"
        manifest_digest = sha256_file(root / MANIFEST)
        del engine
        shutil.move(str(root), str(final))
        try:
            with database.write_session() as session:
                pack = TranslationPack(
                    name=manifest.name,
                    version=manifest.version,
                    source_language=manifest.source_language,
                    target_language=manifest.target_language,
                    engine=manifest.engine,
                    licence=manifest.licence,
                    source=manifest.source,
                    directory=manifest.directory_name,
                    manifest_sha256=manifest_digest,
                    status=status,
                    chrf=chrf,
                    bleu=bleu,
                    sentences=sentences,
                    measured_command=f"accord models install --sentences {sentences} "
                    f"(chrF2 + BLEU, sacrebleu, FLORES-200 devtest; offered at chrF2 >= "
                    f"{gate:g})",
                    measured_at=utcnow(),
                    installed_by=installed_by[:64],
                )
                session.add(pack)
                session.flush()
                row = pack_row(pack)
        except Exception:
            shutil.rmtree(final, ignore_errors=True)
            raise
    return row
