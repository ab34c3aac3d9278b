"""Two-screen conversations: the officer's screen and the person's tablet, joined by a code.

The service the conversation pages call (and the transcript command reads). Why it is shaped
this way:

* **Started from something the officer may open.** A conversation belongs to a case or an
  interview report; starting one goes through the one access rule of that object (the contract's
  ``case`` kind, :meth:`ReportService.get_for`), so the conversation can never be a side door.
* **The tablet holds one conversation, nothing else.** Joining with the short code (single use,
  valid :data:`CODE_MINUTES` minutes, wrong codes rate-limited per client in the database) gives
  the tablet a random token; the database keeps only its keyed digest. Every tablet request is
  resolved through that token to its one conversation: it names no conversation id it could
  change. The browser is in kiosk mode (the web kit refuses every signed-in page while the kiosk
  cookie is set) until the officer's PIN releases it; the PIN is kept as an Argon2 hash and its
  failures are counted in the conversation's row (:data:`PIN_MAX_FAILURES`, then a growing wait).
* **Nothing is generated.** What the person types is matched to the phrasebook through the
  governed gateway (``interpret.phrase_match``) on the officer's account — the officer runs the
  conversation and answers for it — and only the entry the person taps becomes the
  interpretation (:func:`phrase_service.confirm`: stored beside their words, labelled "phrase
  confirmed by the person", ledgered). The officer's Chinese is matched the same way and the
  entry the officer picks is shown in the person's language (ledgered as shown).
* **Several app processes.** Every change appends a row to ``interpret_conversation_events``;
  both screens' event streams read that table (resuming with ``Last-Event-ID``), never process
  memory. Events carry no words.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from accord.core.contract import object_kind
from accord.core.db import Database, utcnow
from accord.core.errors import AccordError, NotFound, PermissionDenied, ValidationFailed
from accord.core.i18n import M_, N_
from accord.interpret import phrase_service
from accord.interpret.conversation_models import (
    Conversation,
    ConversationEvent,
    ConversationJoinFailure,
    ConversationTurn,
)
from accord.interpret.phrase_models import LABEL as CONFIRMED_LABEL
from accord.interpret.phrasebook import LANGUAGES, get_phrasebook

CODE_DIGITS = 6
CODE_MINUTES = 10
JOIN_MAX_FAILURES = 10  # wrong codes per client within JOIN_WINDOW before 429
JOIN_WINDOW = timedelta(minutes=10)
PIN_MAX_FAILURES = 5  # then each further attempt waits 30 s, 60 s, 120 s … (cap 15 minutes)
PIN_BASE_WAIT_SECONDS = 30
PIN_MAX_WAIT_SECONDS = 900
SHOWN_LABEL = "phrase chosen by the officer, shown to the person"
MAX_TEXT = 500


class WrongCode(AccordError):
    status = 404
    message = N_("No conversation is waiting for this code. Check the code on the officer's "
                 "screen.")


class CodeExpired(AccordError):
    status = 410
    message = N_("This code has expired. Ask the officer for a new code.")


class TooManyAttempts(AccordError):
    status = 429
    message = N_("Too many wrong attempts. Try again in %(seconds)d seconds.")

    def __init__(self, retry_after: int) -> None:
        self.retry_after = retry_after
        super().__init__(seconds=retry_after)


class WrongPin(AccordError):
    status = 403
    message = N_("Wrong PIN. %(left)d attempts left before a wait.")


class ConversationEnded(AccordError):
    status = 409
    message = N_("This conversation has ended.")


class AlreadyStarted(AccordError):
    """The start form was sent again (a refresh, a double click) after a tablet joined: the
    route opens the conversation it started instead."""

    status = 409
    message = N_("This form already started conversation %(reference)s.")

    def __init__(self, reference: str) -> None:
        super().__init__(reference=reference)
        self.reference = reference


@dataclass(frozen=True)
class Started:
    reference: str
    code: str  # shown once to the officer; only its digest is stored
    expires_at: datetime


@dataclass(frozen=True)
class TurnView:
    id: int
    direction: str
    language: str
    original_text: str
    status: str
    candidates: list[dict[str, Any]]
    entry_id: str
    text_zh: str
    text_person: str
    entry_status: str
    label: str
    ledger_seq: int | None
    created_at: datetime

    @property
    def agreed(self) -> bool:
        return self.status in ("confirmed", "sent")


@dataclass(frozen=True)
class ConversationView:
    id: int
    reference: str
    officer_id: int
    case_ref: str
    report_ref: str
    purpose: str
    legal_basis: str
    status: str
    language: str
    code_expires_at: datetime
    joined_at: datetime | None
    created_at: datetime
    ended_at: datetime | None
    turns: list[TurnView] = field(default_factory=list)
    last_event: int = 0

    @property
    def pending(self) -> TurnView | None:
        """The latest person turn still waiting for the person's tap, if it is the last one."""
        if self.turns and self.turns[-1].direction == "person" and \
                self.turns[-1].status == "offered":
            return self.turns[-1]
        return None

    @property
    def officer_pending(self) -> TurnView | None:
        offered = [t for t in self.turns if t.direction == "officer" and t.status == "offered"]
        return offered[-1] if offered else None


def _aware(value: datetime | None) -> datetime | None:
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


def _turn_view(row: ConversationTurn) -> TurnView:
    return TurnView(row.id, row.direction, row.language, row.original_text, row.status,
                    list(row.candidates or []), row.entry_id, row.text_zh, row.text_person,
                    row.entry_status, row.label, row.ledger_seq, row.created_at)


def _digest(text: str) -> str:
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class LanguageSuggestion:
    """What the tablet asks after the person typed: "This looks like <language> — switch?".
    Only a question: the person's own choice of language stays the rule until they tap."""

    language: str  # a phrasebook language other than the one the person chose
    score: float
    short: bool
    also: tuple[str, ...] = ()  # close languages it may be instead ("ask the person")


def language_suggestion(output: dict[str, Any], chosen: str) -> LanguageSuggestion | None:
    """From ``interpret.langid``'s output: a suggestion only when its top guess is another
    phrasebook language and clears the floor (the stricter one for short input). A top guess
    in a close group (uz/ru, ms/id …) names the group's other members, so Cyrillic Uzbek is
    never offered as plain Russian."""
    top = str(output.get("language") or "")
    candidates = output.get("candidates") or []
    if top == chosen or top not in LANGUAGES or not candidates:
        return None
    score = float(candidates[0]["score"])
    if score < float(output["floor"]):
        return None
    also = tuple(c for c in output.get("close_languages", ()) if c not in (top, chosen))
    return LanguageSuggestion(top, round(score, 3), bool(output.get("short")), also)


class ConversationService:
    """Every step of a conversation; the web routes and the transcript command call these."""

    def __init__(self, database: Database, secret_key: str, *, gateway: Any = None,
                 ledger: Any = None) -> None:
        self.database = database
        self.secret = secret_key.encode()
        self.gateway = gateway
        self.ledger = ledger

    # -- keyed digests ---------------------------------------------------------------------
    def _keyed(self, kind: str, value: str) -> str:
        return hmac.new(self.secret, f"conversation-{kind}:{value}".encode(),
                        hashlib.sha256).hexdigest()

    def tablet_csrf(self, token: str) -> str:
        """The tablet's form token: derived from its (secret) kiosk token, so a page on another
        site cannot know it."""
        return self._keyed("csrf", token)[:40]

    def client_digest(self, address: str) -> str:
        return self._keyed("client", address)

    # -- officer side ----------------------------------------------------------------------
    def start(self, caller: Any, *, case_ref: str = "", report_ref: str = "", purpose: str,
              legal_basis: str, pin: str, start_key: str = "") -> Started:
        """Start a conversation for a case or an interview report the caller may open.

        ``start_key`` is the start form's one-time key: sent again (a refresh re-posts the
        form), it finds the conversation it started. While no tablet has joined, that one gets
        a fresh code (the old one stops: only the digest is kept, so it cannot be shown
        again); after, :class:`AlreadyStarted` names it."""
        from accord.core.accounts.service import password_hasher
        from accord.interpret.phrase_match import PHRASE_MATCH_CAPABILITY as capability

        case_ref, report_ref = case_ref.strip().upper(), report_ref.strip().upper()
        if bool(case_ref) == bool(report_ref):
            raise ValidationFailed(detail=M_("start from one case or one interview report"))
        if purpose not in capability.purposes:
            raise ValidationFailed(
                detail=M_("purpose: one of %(purposes)s",
                          purposes=', '.join(sorted(capability.purposes))))
        if legal_basis not in capability.legal_bases:
            raise ValidationFailed(
                detail=M_("legal_basis: one of %(legal_bases)s",
                          legal_bases=', '.join(sorted(capability.legal_bases))))
        if not (pin.isdigit() and pin.isascii() and 4 <= len(pin) <= 8):
            raise ValidationFailed(detail=M_("pin: 4 to 8 digits"))
        start_key = start_key.strip()
        if len(start_key) > 64 or not start_key.replace("-", "").replace("_", "").isalnum():
            start_key = ""  # not a key the form made: start without one
        if start_key:
            with self.database.session() as session:
                earlier = session.scalar(select(Conversation).where(
                    Conversation.officer_id == caller.user_id,
                    Conversation.start_key == start_key))
                if earlier is not None and earlier.status != "waiting":
                    raise AlreadyStarted(earlier.reference)
                reference = earlier.reference if earlier is not None else ""
            if reference:
                return self.new_code(caller, reference)
        if case_ref:
            self._check_case(caller, case_ref)
        else:
            case_ref = self._check_report(caller, report_ref)
        pin_hash = password_hasher().hash(pin)
        now = utcnow()
        with self.database.session() as session:
            code = self._free_code(session, now)
            row = Conversation(
                reference="CV-" + secrets.token_hex(4).upper(), officer_id=caller.user_id,
                case_ref=case_ref, report_ref=report_ref, purpose=purpose,
                legal_basis=legal_basis, status="waiting", code_digest=self._keyed("code", code),
                code_expires_at=now + timedelta(minutes=CODE_MINUTES), pin_hash=pin_hash,
                created_at=now, start_key=start_key or None)
            session.add(row)
            session.flush()
            self._event(session, row.id, "started")
            return Started(row.reference, code, row.code_expires_at)

    def _check_case(self, caller: Any, case_ref: str) -> None:
        cases = object_kind("case")
        if cases is None:
            raise NotFound(N_("Case files are not installed here."))
        with self.database.session() as session:
            allowed = cases.can_access(session, caller, case_ref)
        if allowed is None:
            raise NotFound(N_("No case %(reference)s."), reference=case_ref)
        if not allowed:
            raise PermissionDenied(N_("Only the case officer and supervisors may open this "
                                      "case."))

    def _check_report(self, caller: Any, report_ref: str) -> str:
        """The report's access rule; returns its case reference ("" while it is a draft)."""
        from accord.interpret.library import get_library
        from accord.interpret.reports import ReportService

        report = ReportService(self.database, get_library()).get_for(report_ref, caller)
        return report.case_reference

    def _free_code(self, session: Session, now: datetime) -> str:
        """A code no waiting, unexpired conversation uses."""
        for _ in range(20):
            code = f"{secrets.randbelow(10 ** CODE_DIGITS):0{CODE_DIGITS}d}"
            taken = session.scalar(select(Conversation.id).where(
                Conversation.code_digest == self._keyed("code", code),
                Conversation.status == "waiting", Conversation.code_expires_at > now))
            if taken is None:
                return code
        raise RuntimeError("could not draw a free conversation code")

    def new_code(self, caller: Any, reference: str) -> Started:
        """A fresh code for a conversation no tablet has joined yet (the old one stops)."""
        now = utcnow()
        with self.database.session() as session:
            row = self._for_officer(session, caller, reference)
            if row.status != "waiting":
                raise ConversationEnded() if row.status == "ended" else ValidationFailed(
                    detail=M_("a tablet has already joined this conversation"))
            code = self._free_code(session, now)
            row.code_digest = self._keyed("code", code)
            row.code_expires_at = now + timedelta(minutes=CODE_MINUTES)
            return Started(row.reference, code, row.code_expires_at)

    def _for_officer(self, session: Session, caller: Any, reference: str) -> Conversation:
        """The conversation, if ``caller`` may open it: the officer who started it, anyone the
        case's access rule admits, or a supervisor. Otherwise it does not exist for them."""
        row = session.scalar(select(Conversation).where(
            Conversation.reference == str(reference).strip().upper()[:16]))
        if row is None or not self._may_open(session, caller, row):
            raise NotFound(N_("No conversation %(reference)s."), reference=str(reference)[:16])
        return row

    @staticmethod
    def _may_open(session: Session, caller: Any, row: Conversation) -> bool:
        if row.officer_id == caller.user_id or "supervisor" in caller.roles:
            return True
        cases = object_kind("case")
        return bool(row.case_ref and cases is not None
                    and cases.can_access(session, caller, row.case_ref))

    def view_for_officer(self, caller: Any, reference: str) -> ConversationView:
        with self.database.session() as session:
            return self._view(session, self._for_officer(session, caller, reference))

    def needs_guidance(self, caller: Any, view: ConversationView,
                       language: str) -> list[tuple[str, list[Any]]]:
        """The cross-cultural guidance for the needs stated by the persons of the conversation's
        case (through the core hook: interpret does not import cases or knowledge), each
        person's name with the guidance statements verbatim. Nothing when the conversation has
        no case or the officer may not open it (the case's own access rule decides)."""
        from accord.core.contract import stated_needs_guidance

        if not view.case_ref:
            return []
        with self.database.session() as session:
            return stated_needs_guidance(session, caller, "case", view.case_ref, language)

    def mine(self, caller: Any, limit: int = 20) -> list[ConversationView]:
        with self.database.session() as session:
            rows = session.scalars(select(Conversation).where(
                Conversation.officer_id == caller.user_id).order_by(
                Conversation.id.desc()).limit(limit))
            return [self._view(session, row, turns=False) for row in rows]

    def officer_say(self, caller: Any, reference: str, text: str) -> TurnView:
        """The officer's Chinese, matched to the phrasebook (entries also in the person's
        language); the officer then picks the entry to show."""
        with self.database.session() as session:
            row = self._for_officer(session, caller, reference)
            self._live(row)
            conversation_id, language = row.id, row.language or "en"
            purpose, basis, case_ref = row.purpose, row.legal_basis, row.case_ref
        result = phrase_service.match_call(self.gateway, caller, text, language="zh",
                                           to=language, purpose=purpose, legal_basis=basis,
                                           case_ref=case_ref)
        out = result.output
        candidates = [{"id": c["id"], "zh": c["zh"], "text": c["to_text"],
                       "score": c["score"], "verified": bool(c["verified"].get(language))}
                      for c in out["candidates"]]
        with self.database.session() as session:
            turn = ConversationTurn(
                conversation_id=conversation_id, direction="officer", language=language,
                original_text=" ".join(text.split()), decision_id=result.decision_id,
                candidates=candidates, status="offered" if candidates else "no-match")
            session.add(turn)
            session.flush()
            self._event(session, conversation_id, "officer-matched", turn.id)
            return _turn_view(turn)

    def officer_send(self, caller: Any, reference: str, entry_id: str,
                     turn_id: int | None = None) -> TurnView:
        """Show a phrasebook entry on the tablet in the person's language: one the officer's
        match offered (``turn_id``) or one picked from the officer's list. Ledgered."""
        book = get_phrasebook()
        entry = book.get(entry_id)
        if entry is None:
            raise ValidationFailed(detail=M_("entry: not in the phrasebook"))
        with self.database.write_session() as session:
            row = self._for_officer(session, caller, reference)
            self._live(row)
            language = row.language or "en"
            if turn_id is not None:
                turn = session.get(ConversationTurn, turn_id)
                if (turn is None or turn.conversation_id != row.id
                        or turn.direction != "officer"):
                    raise NotFound(N_("No such turn in this conversation."))
                if turn.status != "offered":
                    raise ValidationFailed(detail=M_("this match was already used"))
                if entry_id not in {c["id"] for c in turn.candidates or []}:
                    raise ValidationFailed(detail=M_("entry: pick one of the entries offered"))
            else:
                if entry.speaker != "officer":
                    raise ValidationFailed(detail=M_("entry: pick one of the officer's sentences"))
                turn = ConversationTurn(conversation_id=row.id, direction="officer",
                                        language=language, original_text=entry.text["zh"],
                                        candidates=[], status="offered")
                session.add(turn)
                session.flush()
            seq = self.ledger.append(session, "conversation-phrase-shown", {
                "actor": f"user:{caller.user_id}", "roles": sorted(caller.roles),
                "conversation": row.reference, "case_ref": row.case_ref,
                "report_ref": row.report_ref, "decision": turn.decision_id, "entry": entry.id,
                "phrasebook": book.version, "language": language,
                "shown_digest": _digest(entry.text[language]), "label": SHOWN_LABEL})
            turn.status, turn.entry_id = "sent", entry.id
            turn.text_zh, turn.text_person = entry.text["zh"], entry.text[language]
            turn.entry_status, turn.label, turn.ledger_seq = (entry.status[language],
                                                              SHOWN_LABEL, seq)
            self._event(session, row.id, "officer-sent", turn.id)
            session.flush()
            return _turn_view(turn)

    def end(self, caller: Any, reference: str) -> None:
        with self.database.session() as session:
            row = self._for_officer(session, caller, reference)
            if row.status != "ended":
                row.status, row.ended_at = "ended", utcnow()
                self._event(session, row.id, "ended")

    # -- tablet side -----------------------------------------------------------------------
    def join(self, code: str, client: str) -> str:
        """Bind a tablet to the conversation waiting for ``code``; returns the tablet's token.
        Wrong codes count against the client (``client``: a keyed digest of its address)."""
        code = "".join(str(code).split())
        now = utcnow()
        with self.database.session() as session:
            # Wrong codes older than the window count for nothing: drop them (housekeeping).
            session.execute(delete(ConversationJoinFailure).where(
                ConversationJoinFailure.at <= now - JOIN_WINDOW))
            failures = session.scalar(select(func.count(ConversationJoinFailure.id)).where(
                ConversationJoinFailure.client_digest == client,
                ConversationJoinFailure.at > now - JOIN_WINDOW)) or 0
            if failures >= JOIN_MAX_FAILURES:
                raise TooManyAttempts(int(JOIN_WINDOW.total_seconds()))
            row = None
            if code.isdigit() and len(code) == CODE_DIGITS:
                row = session.scalar(select(Conversation).where(
                    Conversation.code_digest == self._keyed("code", code),
                    Conversation.status == "waiting").order_by(Conversation.id.desc()))
            if row is None:
                session.add(ConversationJoinFailure(client_digest=client, at=now))
                session.commit()
                raise WrongCode()
            if _aware(row.code_expires_at) <= now:  # type: ignore[operator]
                raise CodeExpired()
            token = secrets.token_urlsafe(32)
            row.tablet_digest = self._keyed("tablet", token)
            row.status, row.joined_at = "joined", now
            self._event(session, row.id, "joined")
            return token

    def _by_token(self, session: Session, token: str) -> Conversation:
        row = None
        if token:
            row = session.scalar(select(Conversation).where(
                Conversation.tablet_digest == self._keyed("tablet", token)))
        if row is None:
            raise NotFound(N_("This tablet is not in a conversation."))
        return row

    def tablet_view(self, token: str) -> ConversationView:
        with self.database.session() as session:
            return self._view(session, self._by_token(session, token))

    def choose_language(self, token: str, language: str) -> None:
        """The person's own choice of language: the rule (language ID only suggests)."""
        if language not in LANGUAGES:
            raise ValidationFailed(detail=M_("language: one of %(languages)s",
                                             languages=', '.join(LANGUAGES)))
        with self.database.session() as session:
            row = self._by_token(session, token)
            self._live(row)
            row.language = language
            self._event(session, row.id, "language")

    def person_say(self, token: str, text: str) -> TurnView:
        """What the person typed (or a transcript draft they corrected), matched to the
        phrasebook on the officer's account; the person then taps the entry they meant."""
        with self.database.session() as session:
            row = self._by_token(session, token)
            self._live(row)
            if not row.language:
                raise ValidationFailed(detail=M_("language: choose your language first"))
            conversation_id, language = row.id, row.language
            officer = self._officer_caller(session, row)
            purpose, basis, case_ref = row.purpose, row.legal_basis, row.case_ref
            for old in session.scalars(select(ConversationTurn).where(
                    ConversationTurn.conversation_id == row.id,
                    ConversationTurn.direction == "person",
                    ConversationTurn.status == "offered")):
                old.status = "withdrawn"
        result = phrase_service.match_call(self.gateway, officer, text, language=language,
                                           purpose=purpose, legal_basis=basis,
                                           case_ref=case_ref)
        out = result.output
        candidates = [{"id": c["id"], "zh": c["zh"], "text": c["text"], "score": c["score"],
                       "verified": bool(c["verified"].get(language))}
                      for c in out["candidates"]]
        with self.database.session() as session:
            turn = ConversationTurn(
                conversation_id=conversation_id, direction="person", language=language,
                original_text=" ".join(text.split()), decision_id=result.decision_id,
                candidates=candidates, status="offered" if candidates else "no-match")
            session.add(turn)
            session.flush()
            self._event(session, conversation_id, "person-said", turn.id)
            return _turn_view(turn)

    def suggest_language(self, token: str, text: str) -> LanguageSuggestion | None:
        """Language ID of what the person typed (``interpret.langid`` through the gateway, on
        the officer's account, like the match): a suggestion for the tablet, or None. A refused
        or failed call suggests nothing — the person's choice stands."""
        from accord.core.gateway.service import GatewayRequest

        text = " ".join(str(text).split())[:2000]
        with self.database.session() as session:
            row = self._by_token(session, token)
            self._live(row)
            chosen = row.language
            officer = self._officer_caller(session, row)
            purpose, basis, case_ref = row.purpose, row.legal_basis, row.case_ref
        if not text or not chosen or self.gateway is None:
            return None
        try:
            result = self.gateway.invoke(officer, GatewayRequest(
                capability_id="interpret.langid", purpose=purpose, legal_basis=basis,
                inputs={"text": text}, case_ref=case_ref))
        except AccordError:
            return None
        return language_suggestion(result.output, chosen)

    def person_confirm(self, token: str, turn_id: int, entry_id: str) -> TurnView:
        """The person tapped ``entry_id``: the confirmed interpretation, stored and ledgered
        by :func:`phrase_service.confirm` (on the officer's account, as it is their desk)."""
        with self.database.session() as session:
            row = self._by_token(session, token)
            self._live(row)
            turn = self._person_turn(session, row, turn_id)
            officer = self._officer_caller(session, row)
            decision_id = turn.decision_id
        confirmed = phrase_service.confirm(self.database, self.ledger, officer, decision_id,
                                           entry_id)
        with self.database.session() as session:
            turn = session.get(ConversationTurn, turn_id)
            assert turn is not None
            turn.status, turn.entry_id = "confirmed", confirmed.entry_id
            turn.text_zh, turn.text_person = confirmed.interpretation_zh, confirmed.person_text
            turn.entry_status, turn.label = confirmed.entry_status, confirmed.label
            turn.ledger_seq = confirmed.ledger_seq
            self._event(session, turn.conversation_id, "person-confirmed", turn.id)
            session.flush()
            return _turn_view(turn)

    def person_none(self, token: str, turn_id: int) -> None:
        """None of the entries says what the person meant: nothing is interpreted."""
        with self.database.session() as session:
            row = self._by_token(session, token)
            turn = self._person_turn(session, row, turn_id)
            turn.status = "none"
            self._event(session, row.id, "person-none", turn.id)

    @staticmethod
    def _person_turn(session: Session, row: Conversation, turn_id: int) -> ConversationTurn:
        turn = session.get(ConversationTurn, turn_id)
        if turn is None or turn.conversation_id != row.id or turn.direction != "person":
            raise NotFound(N_("No such turn in this conversation."))
        if turn.status != "offered":
            raise ValidationFailed(detail=M_("this question was already answered"))
        return turn

    def turn_for_tablet(self, token: str, turn_id: int) -> TurnView:
        """A turn of the tablet's own conversation (read-aloud of what the officer sent)."""
        with self.database.session() as session:
            row = self._by_token(session, token)
            turn = session.get(ConversationTurn, turn_id)
            if turn is None or turn.conversation_id != row.id:
                raise NotFound(N_("No such turn in this conversation."))
            return _turn_view(turn)

    def officer_of_tablet(self, token: str) -> tuple[Any, ConversationView]:
        with self.database.session() as session:
            row = self._by_token(session, token)
            return self._officer_caller(session, row), self._view(session, row, turns=False)

    def leave(self, token: str, pin: str) -> None:
        """Release the tablet from kiosk mode with the officer's PIN. Failures are counted in
        the database; after :data:`PIN_MAX_FAILURES` each attempt must wait (429)."""
        from argon2.exceptions import InvalidHashError, VerificationError

        from accord.core.accounts.service import password_hasher

        now = utcnow()
        with self.database.session() as session:
            row = self._by_token(session, token)
            blocked = _aware(row.pin_blocked_until)
            if blocked is not None and blocked > now:
                raise TooManyAttempts(max(1, int((blocked - now).total_seconds())))
            try:
                ok = password_hasher().verify(row.pin_hash, str(pin)[:16])
            except (VerificationError, InvalidHashError):
                ok = False
            if not ok:
                row.pin_failures += 1
                left = PIN_MAX_FAILURES - row.pin_failures
                if left <= 0:
                    wait = min(PIN_MAX_WAIT_SECONDS,
                               PIN_BASE_WAIT_SECONDS * 2 ** (row.pin_failures - PIN_MAX_FAILURES))
                    row.pin_blocked_until = now + timedelta(seconds=wait)
                session.commit()
                raise WrongPin(left=max(0, left))
            row.pin_failures, row.pin_blocked_until = 0, None
            row.tablet_digest = None
            if row.status != "ended":
                row.status, row.ended_at = "ended", now
            self._event(session, row.id, "tablet-left")

    # -- shared ----------------------------------------------------------------------------
    @staticmethod
    def _live(row: Conversation) -> None:
        if row.status == "ended":
            raise ConversationEnded()

    @staticmethod
    def _officer_caller(session: Session, row: Conversation) -> Any:
        from accord.core.accounts.models import User
        from accord.core.gateway.service import Caller

        user = session.get(User, row.officer_id)
        if user is None or not user.active:
            raise PermissionDenied(N_("The officer of this conversation can no longer use "
                                      "Accord."))
        return Caller(user_id=user.id, username=user.username,
                      roles=frozenset(str(role.value) for role in user.roles))

    @staticmethod
    def _event(session: Session, conversation_id: int, kind: str,
               turn_id: int | None = None) -> None:
        session.add(ConversationEvent(conversation_id=conversation_id, kind=kind,
                                      turn_id=turn_id, at=utcnow()))

    def _view(self, session: Session, row: Conversation, *,
              turns: bool = True) -> ConversationView:
        found = list(session.scalars(select(ConversationTurn).where(
            ConversationTurn.conversation_id == row.id).order_by(ConversationTurn.id))) \
            if turns else []
        last = session.scalar(select(func.max(ConversationEvent.id)).where(
            ConversationEvent.conversation_id == row.id)) or 0
        return ConversationView(
            row.id, row.reference, row.officer_id, row.case_ref, row.report_ref, row.purpose,
            row.legal_basis, row.status, row.language, row.code_expires_at, row.joined_at,
            row.created_at, row.ended_at, [_turn_view(t) for t in found], int(last))

    # -- event log -------------------------------------------------------------------------
    def events_for_officer(self, caller: Any, reference: str, after: int,
                           limit: int = 500) -> list[dict[str, Any]]:
        with self.database.session() as session:
            row = self._for_officer(session, caller, reference)
            return self._events(session, row.id, after, limit)

    def events_for_tablet(self, token: str, after: int,
                          limit: int = 500) -> list[dict[str, Any]] | None:
        """The tablet's events after ``after``; None once the tablet has left (the stream
        then ends)."""
        with self.database.session() as session:
            try:
                row = self._by_token(session, token)
            except NotFound:
                return None
            return self._events(session, row.id, after, limit)

    @staticmethod
    def _events(session: Session, conversation_id: int, after: int,
                limit: int) -> list[dict[str, Any]]:
        return [{"id": e.id, "kind": e.kind, "turn": e.turn_id}
                for e in session.scalars(select(ConversationEvent).where(
                    ConversationEvent.conversation_id == conversation_id,
                    ConversationEvent.id > after).order_by(ConversationEvent.id).limit(limit))]

    def conversation_id_for_officer(self, caller: Any, reference: str) -> int:
        with self.database.session() as session:
            return self._for_officer(session, caller, reference).id

    # -- transcripts -----------------------------------------------------------------------
    def transcript_lines(self, *, case_ref: str = "",
                         report_ref: str = "") -> list[dict[str, Any]]:
        return transcript_lines(self.database, case_ref=case_ref, report_ref=report_ref)


def transcript_lines(database: Database, *, case_ref: str = "",
                     report_ref: str = "") -> list[dict[str, Any]]:
    """The agreed turns of every conversation of a case or an interview report, oldest first:
    each with the text in the person's language and in Chinese, and how it was agreed. The
    caller checks access to the case or report first."""
    with database.session() as session:
        return transcript_rows(session, case_ref=case_ref, report_ref=report_ref)


def transcript_rows(session: Session, *, case_ref: str = "",
                    report_ref: str = "") -> list[dict[str, Any]]:
    """:func:`transcript_lines` in the caller's session (a page that already holds one must
    not open a second: with a small pool the two would wait for each other)."""
    if not case_ref and not report_ref:
        return []
    query = select(ConversationTurn, Conversation.reference).join(
        Conversation, Conversation.id == ConversationTurn.conversation_id).where(
        ConversationTurn.status.in_(("confirmed", "sent")))
    if case_ref:
        query = query.where(Conversation.case_ref == case_ref)
    else:
        query = query.where(Conversation.report_ref == report_ref)
    return [{
        "conversation": reference, "direction": turn.direction,
        "language": turn.language, "original_text": turn.original_text,
        "text_person": turn.text_person, "text_zh": turn.text_zh,
        "entry_id": turn.entry_id, "entry_status": turn.entry_status,
        "label": turn.label, "ledger_seq": turn.ledger_seq,
        "created_at": turn.created_at,
    } for turn, reference in session.execute(query.order_by(ConversationTurn.id))]


__all__ = ["CONFIRMED_LABEL", "SHOWN_LABEL", "ConversationService", "transcript_lines",
           "transcript_rows"]
