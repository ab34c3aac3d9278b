"""The knowledge base's typed service: keep passages in step with their sources, import a
procedure, and run the legal officers' queue (question → answer → verified passage).

Web routes and commands call this; the lookup itself goes through the gateway
(``knowledge.lookup``, see :mod:`accord.knowledge.retrieval`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import replace
from datetime import date

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from accord.cases.guidance import get_guidance, load_confirmations
from accord.core.db import utcnow
from accord.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from accord.core.i18n import M_, N_
from accord.knowledge import documents, encoder, index
from accord.knowledge.models import KnowledgeSync, LegalQuestion, Passage
from accord.knowledge.sources import (
    LANGUAGES,
    MAX_IMPORT_BYTES,
    PassageSpec,
    bundled_passages,
    document_prefix,
    procedure_passages,
)

MAX_QUESTION_CHARS = 500
MAX_ANSWER_CHARS = 4000


class PassageNotFound(NotFound):
    message = N_("No such passage: %(id)s")


class QuestionNotFound(NotFound):
    message = N_("No such question: %(id)s")


class NotTheAuthor(PermissionDenied):
    message = N_("A second legal officer verifies a passage, not its author.")


def _embedding_text(spec: PassageSpec | Passage) -> str:
    """What the encoder reads for a passage: its words, and for English its document and
    section too (they carry the subject: "Consular Convention … Art. 35")."""
    if spec.language == "en":
        return f"{spec.text} ({spec.citation})"
    return spec.text


class KnowledgeService:
    def __init__(self, session: Session) -> None:
        self.session = session

    # -- sources → passages --------------------------------------------------------------------
    def _confirmed(self, specs: list[PassageSpec]) -> list[PassageSpec]:
        """Overlay the legal officers' verdicts on legal-fact passages (``/legal/facts``)."""
        facts = get_guidance().facts
        verdicts = load_confirmations(self.session)
        out = []
        for spec in specs:
            fact_id = spec.key.split(":", 1)[1] if spec.kind == "legal-fact" else ""
            verdict = verdicts.get(fact_id)
            fact = facts.get(fact_id)
            if verdict is not None and fact is not None and verdict.fact_digest == fact.digest:
                if verdict.status == "confirmed":
                    spec = replace(spec, status="verified",
                                   status_note=f"confirmed by legal officer {verdict.by_name}")
                else:
                    spec = replace(spec, status="unverified",
                                   status_note=f"disputed by legal officer {verdict.by_name}: "
                                               f"{verdict.note}")
            out.append(spec)
        return out

    def sync(self, *, force: bool = False) -> dict[str, int]:
        """Bring the bundled passages in step with their sources; cheap when nothing changed."""
        specs = self._confirmed(bundled_passages())
        digest = hashlib.sha256(json.dumps(sorted(s.digest for s in specs)).encode()).hexdigest()
        state = self.session.get(KnowledgeSync, "bundled")
        if state is not None and state.digest == digest and not force:
            filled = self._fill_e5()
            return {"added": 0, "changed": 0, "retired": 0, "unchanged": len(specs),
                    "e5_filled": filled}
        counts = self._store(specs, origin="bundled", retire_prefixes=None)
        if state is None:
            state = KnowledgeSync(name="bundled", digest=digest)
            self.session.add(state)
        state.digest, state.synced_at = digest, utcnow()
        try:
            self.session.commit()
        except IntegrityError:  # another process synced at the same time: theirs stands
            self.session.rollback()
        counts["e5_filled"] = self._fill_e5()
        return counts

    def _fill_e5(self) -> int:
        """Give the e5 vector to passages stored before the second encoder existed (imported
        procedures and answers included): one query when there is nothing to do."""
        rows = list(self.session.scalars(select(Passage).where(
            Passage.retired.is_(False), Passage.vector_e5.is_(None))))
        if not rows:
            return 0
        vectors = encoder.encode_e5_passages([_embedding_text(r) for r in rows])
        for row, vector in zip(rows, vectors, strict=True):
            row.vector_e5 = vector.astype(np.float32).tobytes()
        self.session.commit()
        return len(rows)

    def _store(self, specs: Sequence[PassageSpec], *, origin: str,
               retire_prefixes: Sequence[str] | None, created_by: int | None = None,
               ) -> dict[str, int]:
        existing = {(p.key, p.language): p for p in self.session.scalars(
            select(Passage).where(Passage.origin == origin))}
        wanted = {(s.key, s.language) for s in specs}
        changed: list[tuple[Passage, PassageSpec]] = []
        counts = {"added": 0, "changed": 0, "retired": 0, "unchanged": 0}
        for spec in specs:
            row = existing.get((spec.key, spec.language))
            if row is not None and row.digest == spec.digest and not row.retired:
                counts["unchanged"] += 1
                continue
            if row is None:
                row = Passage(key=spec.key, language=spec.language, origin=origin,
                              created_by=created_by)
                self.session.add(row)
                counts["added"] += 1
            else:
                counts["changed"] += 1
            for name in ("kind", "document", "section", "version", "effective_date",
                         "citation", "status", "status_note", "source_link", "text"):
                setattr(row, name, getattr(spec, name))
            row.digest, row.retired, row.updated_at = spec.digest, False, utcnow()
            if origin != "answer":
                row.verified_by = row.verified_at = None
            changed.append((row, spec))
        for (key, language), row in existing.items():
            if (key, language) in wanted or row.retired:
                continue
            if retire_prefixes is None or any(key.startswith(p) for p in retire_prefixes):
                row.retired, row.updated_at = True, utcnow()
                counts["retired"] += 1
                index.remove(self.session, [row.id])
        self.session.flush()
        if changed:
            texts = [_embedding_text(s) for _, s in changed]
            vectors = encoder.encode_passages(texts)
            vectors_e5 = encoder.encode_e5_passages(texts)
            for (row, spec), vector, vector_e5 in zip(changed, vectors, vectors_e5, strict=True):
                row.vector = vector.astype(np.float32).tobytes()
                row.vector_e5 = vector_e5.astype(np.float32).tobytes()
                row.vector_model = encoder.MODEL_NAME[:64]
                index.index_passage(self.session, row.id, spec.text, spec.citation,
                                    spec.document, spec.section)
        return counts

    def import_markdown(self, source: bytes | str, *, document: str, version: str,
                        language: str, effective_date: date | None,
                        user_id: int | None) -> dict[str, int]:
        """Import (or re-import) one procedure document: one passage per section. A re-import
        of the same document replaces its sections (removed ones are retired, not deleted)."""
        data = source.encode("utf-8") if isinstance(source, str) else source
        return self.import_document(data, "procedure.md", document=document, version=version,
                                    language=language, effective_date=effective_date,
                                    user_id=user_id)

    def import_document(self, data: bytes, filename: str, *, document: str = "",
                        version: str = "", language: str = "",
                        effective_date: date | None = None,
                        user_id: int | None) -> dict[str, int]:
        """Import a procedure from Markdown, DOCX or PDF (:mod:`accord.knowledge.documents`):
        its headings and numbered articles cut the sections. The title, version and language
        typed by the officer win; otherwise a DOCX's or PDF's own properties give them."""
        if len(data) > MAX_IMPORT_BYTES:
            raise ValidationFailed(detail=M_("the file is larger than 2 MB"))
        read = documents.read(data, filename)
        specs = procedure_passages(
            read.markdown, document=document.strip() or read.title,
            version=version.strip() or read.version,
            language=language.strip() or read.language or "zh",
            effective_date=effective_date or read.effective_date)
        counts = self._store(specs, origin="imported", created_by=user_id,
                             retire_prefixes=[document_prefix(specs[0].document)])
        self.session.commit()
        return {**counts, "sections": len(specs)}

    # -- reading -------------------------------------------------------------------------------
    def passage(self, passage_id: int) -> Passage:
        row = self.session.get(Passage, passage_id)
        if row is None:
            raise PassageNotFound(id=passage_id)
        return row

    def versions(self, passage: Passage) -> list[Passage]:
        """The same passage in its other languages."""
        return list(self.session.scalars(select(Passage).where(
            Passage.key == passage.key, Passage.id != passage.id, Passage.retired.is_(False))))

    def counts(self) -> dict[str, int]:
        rows = self.session.execute(select(Passage.kind, func.count()).where(
            Passage.retired.is_(False)).group_by(Passage.kind))
        return {kind: int(n) for kind, n in rows}

    # -- the legal officers' queue -------------------------------------------------------------
    def ask_legal(self, question: str, *, user_id: int, decision_id: str = "") -> LegalQuestion:
        question = " ".join((question or "").split())
        if not question:
            raise ValidationFailed(detail=M_("question: write the question"))
        if len(question) > MAX_QUESTION_CHARS:
            raise ValidationFailed(detail=M_("question: at most 500 characters"))
        language = "zh" if any("\u4e00" <= c <= "\u9fff" for c in question) else "en"
        row = LegalQuestion(question=question, language=language, asked_by=user_id,
                            decision_id=(decision_id or "")[:32])
        self.session.add(row)
        self.session.commit()
        return row

    def questions(self, *, status: str | None = "open", asked_by: int | None = None,
                  limit: int = 200) -> list[LegalQuestion]:
        query = select(LegalQuestion).order_by(LegalQuestion.asked_at.desc(),
                                               LegalQuestion.id.desc()).limit(limit)
        if status:
            query = query.where(LegalQuestion.status == status)
        if asked_by is not None:
            query = query.where(LegalQuestion.asked_by == asked_by)
        return list(self.session.scalars(query))

    def question(self, question_id: int) -> LegalQuestion:
        row = self.session.get(LegalQuestion, question_id)
        if row is None:
            raise QuestionNotFound(id=question_id)
        return row

    def answer(self, question_id: int, *, text: str, citation: str, language: str,
               user_id: int) -> Passage:
        """A legal officer's answer becomes a new passage (unverified until a second legal
        officer verifies it), quoted verbatim from then on."""
        row = self.question(question_id)
        if row.status != "open":
            raise Conflict(detail=M_("question %(question_id)s is already answered",
                                     question_id=question_id))
        text = (text or "").strip()
        citation = " ".join((citation or "").split())
        if not text or len(text) > MAX_ANSWER_CHARS:
            raise ValidationFailed(detail=M_("answer: write the answer (at most 4000 characters)"))
        if not citation or len(citation) > 400:
            raise ValidationFailed(detail=M_("citation: name the source of the answer (law and "
                                             "article, or policy and section)"))
        if language not in LANGUAGES:
            raise ValidationFailed(detail=M_("language: one of %(languages)s",
                                             languages=', '.join(LANGUAGES)))
        spec = PassageSpec(
            key=f"answer:{row.id}", kind="answer", document="Legal officers' answers",
            section=f"question {row.id}", version="1", effective_date=utcnow().date(),
            language=language, citation=citation, status="unverified",
            status_note="answered by a legal officer; awaiting a second legal officer",
            source_link="", text=text)
        self._store([spec], origin="answer", retire_prefixes=[], created_by=user_id)
        passage = self.session.scalar(select(Passage).where(
            Passage.key == spec.key, Passage.language == language))
        assert passage is not None
        row.status, row.answered_by, row.answered_at = "answered", user_id, utcnow()
        row.passage_id = passage.id
        self.session.commit()
        return passage

    def verify(self, passage_id: int, *, user_id: int) -> Passage:
        """A second legal officer verifies an answer or an imported procedure passage."""
        passage = self.passage(passage_id)
        if passage.origin == "bundled":
            raise Conflict(detail=M_("bundled passages are verified at /legal/facts"))
        if passage.status == "verified":
            raise Conflict(detail=M_("passage %(passage_id)s is already verified",
                                     passage_id=passage_id))
        if passage.created_by is not None and passage.created_by == user_id:
            raise NotTheAuthor()
        passage.status, passage.verified_by, passage.verified_at = "verified", user_id, utcnow()
        passage.status_note = "verified by a legal officer"
        self.session.commit()
        return passage
