"""Storing guided-interview reports, with an unguessable reference and a per-client rate limit.

Public submissions come from anyone on the internet, so:

* each gets a reference such as ``RPT-7KQ4M9XTJC`` (10 characters from a 31-symbol alphabet
  without look-alikes, ~49 bits, from :mod:`secrets`) that cannot be guessed or enumerated;
* a client address may submit at most :data:`PUBLIC_LIMIT` reports per
  :data:`PUBLIC_WINDOW_SECONDS`; only a keyed digest of the address is stored (HMAC with the
  server's secret key), never the address itself;
* answers are validated (types, lengths, control characters) before they are stored, and are
  stored as data through the ORM (bound parameters), so nothing a person types is ever
  interpreted as SQL or HTML.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from accord.core.contract import object_kind
from accord.core.db import Database, utcnow
from accord.core.errors import AccordError, NotFound, PermissionDenied
from accord.core.i18n import N_
from accord.interpret.answers import ChineseSummary, chinese_summary
from accord.interpret.library import Form, Library
from accord.interpret.models import InterviewReport

PUBLIC_LIMIT = 10
PUBLIC_WINDOW_SECONDS = 3600
REFERENCE_PREFIX = "RPT-"
REFERENCE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
REFERENCE_LENGTH = 10
CHANNELS = ("public", "officer")
#: The shape of a form page's one-time submit token (``secrets.token_urlsafe(32)``).
SUBMIT_TOKEN = re.compile(r"[A-Za-z0-9_-]{16,64}")


class TooManyReports(AccordError):
    status = 429
    message = N_("Too many reports from this address. Try again in %(minutes)d minutes.")

    def __init__(self, retry_after: int) -> None:
        self.retry_after = retry_after
        super().__init__(minutes=max(1, (retry_after + 59) // 60))


def new_reference() -> str:
    return REFERENCE_PREFIX + "".join(secrets.choice(REFERENCE_ALPHABET)
                                      for _ in range(REFERENCE_LENGTH))


def client_digest(secret_key: str, address: str) -> str:
    """A keyed digest of a client address: enough to count, useless to identify."""
    return hmac.new(secret_key.encode(), f"public-report:{address}".encode(),
                    hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class StoredReport:
    reference: str
    form_id: str
    form_version: int
    language: str
    channel: str
    status: str
    answers: dict[str, Any]
    content_statuses: list[str]
    created_by: int | None
    created_at: Any
    case_reference: str = ""

    @classmethod
    def of(cls, row: InterviewReport) -> StoredReport:
        return cls(row.reference, row.form_id, row.form_version, row.language, row.channel,
                   row.status, dict(row.answers or {}), list(row.content_statuses or []),
                   row.created_by, row.created_at, row.case_reference or "")


class ReportService:
    def __init__(self, database: Database, library: Library, *,
                 limit: int = PUBLIC_LIMIT, window_seconds: int = PUBLIC_WINDOW_SECONDS) -> None:
        self.database = database
        self.library = library
        self.limit = limit
        self.window_seconds = window_seconds

    def retry_after(self, digest: str) -> int:
        """Seconds until this client may submit again; 0 if it may submit now."""
        since = utcnow() - timedelta(seconds=self.window_seconds)
        with self.database.session() as session:
            count, oldest = session.execute(
                select(func.count(InterviewReport.id), func.min(InterviewReport.created_at))
                .where(InterviewReport.client_digest == digest,
                       InterviewReport.channel == "public",
                       InterviewReport.created_at >= since)).one()
        if count < self.limit:
            return 0
        if oldest is None:
            return self.window_seconds
        if oldest.tzinfo is None:  # in case a driver returns the aggregate untyped
            oldest = oldest.replace(tzinfo=UTC)
        elapsed = (utcnow() - oldest).total_seconds()
        return max(1, int(self.window_seconds - elapsed))

    def by_token(self, token: str) -> StoredReport | None:
        """The report already sent with this one-time form token, if any."""
        if not token:
            return None
        with self.database.session() as session:
            row = session.scalar(select(InterviewReport)
                                 .where(InterviewReport.submit_token == token))
            return None if row is None else StoredReport.of(row)

    def submit(self, form: Form, language: str, answers: dict[str, Any], *, channel: str,
               client: str = "", created_by: int | None = None,
               token: str = "") -> StoredReport:
        """Store validated answers; public submissions are rate-limited per client digest.

        ``token`` is the form page's one-time token: a second submission with the same token
        (a double click, a refreshed POST) returns the report the first one stored.
        """
        if channel not in CHANNELS:
            raise ValueError(f"unknown channel {channel!r}")
        if token and not SUBMIT_TOKEN.fullmatch(token):
            raise ValueError("malformed submit token")
        already = self.by_token(token)
        if already is not None:
            return already
        if channel == "public":
            wait = self.retry_after(client)
            if wait:
                raise TooManyReports(wait)
        for _attempt in range(5):
            row = InterviewReport(
                reference=new_reference(), form_id=form.id, form_version=form.version,
                language=language, channel=channel, status="draft", answers=answers,
                content_statuses=form.statuses(language), client_digest=client,
                created_by=created_by, created_at=utcnow(), submit_token=token or None)
            try:
                with self.database.write_session() as session:
                    session.add(row)
                return StoredReport.of(row)
            except IntegrityError:
                # Either the same form arrived twice at once (the other request stored it) or
                # a reference collision (practically never; draw again).
                already = self.by_token(token)
                if already is not None:
                    return already
                continue
        raise RuntimeError("could not allocate a unique report reference")

    def recent(self, limit: int = 100) -> list[StoredReport]:
        with self.database.session() as session:
            rows = session.scalars(select(InterviewReport)
                                   .order_by(InterviewReport.created_at.desc(),
                                             InterviewReport.id.desc())
                                   .limit(limit)).all()
            return [StoredReport.of(row) for row in rows]

    def get(self, reference: str) -> StoredReport:
        with self.database.session() as session:
            row = session.scalar(select(InterviewReport)
                                 .where(InterviewReport.reference == reference[:24]))
            if row is None:
                raise NotFound()
            return StoredReport.of(row)

    def may_read(self, report: StoredReport, caller: Any) -> bool:
        """Whether ``caller`` (user_id, roles) may read ``report``.

        A draft is on the station's shared list. Once a case was opened from it, the report is
        part of that case file and follows the case's one access rule (the contract's ``case``
        object kind: its officer and supervisors). Without that rule, or without the case, it
        stays closed.
        """
        if not report.case_reference:
            return True
        cases = object_kind("case")
        if cases is None:
            return False
        with self.database.session() as session:
            return bool(cases.can_access(session, caller, report.case_reference))

    def readable(self, reports: list[StoredReport], caller: Any) -> list[StoredReport]:
        return [report for report in reports if self.may_read(report, caller)]

    def get_for(self, reference: str, caller: Any) -> StoredReport:
        """The report, if ``caller`` may read it (:meth:`may_read`)."""
        report = self.get(reference)
        if not self.may_read(report, caller):
            raise PermissionDenied(N_("This report became a case file; only its case officer "
                                      "and supervisors may open it."))
        return report

    def summary(self, report: StoredReport) -> ChineseSummary:
        form = self.library.form(report.form_id)
        if form is None:
            raise NotFound(N_("Unknown form: %(id)s"), id=report.form_id)
        return chinese_summary(form, report.answers, report.language)
