"""ASGI middleware: request ids with access logs, security headers, the request body size limit,
and text hygiene."""

from __future__ import annotations

import json
import logging
import re
import secrets
import time
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import unquote_to_bytes

from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from accord.core import i18n
from accord.core.i18n import M_
from accord.core.logging import request_id_var
from accord.core.text import text_problem
from accord.web.uploads import Declared, declared_limits, limit_in

log = logging.getLogger("accord.access")
_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


SECURITY_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
    (b"content-security-policy",
     b"default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
     b"script-src 'self' 'unsafe-inline'; frame-ancestors 'none'"),
)


class SecurityHeadersMiddleware:
    """Add the security headers to every answer that does not set them itself.

    Plain ASGI on purpose: it was an ``@app.middleware("http")`` function, and Starlette's
    ``BaseHTTPMiddleware`` behind that runs each request's app in a task of its own and relays
    the response body through a memory stream — a measurable share of a small request's CPU
    time (measured: docs/api.md, "Figures"). Here the headers are added to the response-start
    message as it passes, nothing else is touched (streams stay streams).
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers.extend(h for h in SECURITY_HEADERS if h[0] not in present)
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


class RequestIdMiddleware:
    """Give every request an id (or keep a sane incoming ``X-Request-ID``) and log it once."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = dict(scope.get("headers") or []).get(b"x-request-id", b"").decode("latin-1")
        request_id = incoming if _SAFE_ID.match(incoming) else secrets.token_hex(8)
        token = request_id_var.set(request_id)
        scope.setdefault("state", {})["request_id"] = request_id
        status = 500
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", request_id.encode()))
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            log.info(
                "request",
                extra={
                    "method": scope.get("method"),
                    "path": scope.get("path"),
                    "status": status,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                },
            )
            request_id_var.reset(token)


class BodySizeLimitMiddleware:
    """Answer 413 to bodies over the limit, whether announced by Content-Length or streamed."""

    def __init__(self, app: ASGIApp, max_bytes: int, upload_max_bytes: int = 0) -> None:
        self.app = app
        self.max_bytes = max_bytes
        # Routes that accept files declare their own limit (accord.web.uploads); "upload" there
        # means this one (ACCORD_UPLOAD_MAX_BYTES). Every other route keeps max_bytes.
        self.upload_max_bytes = max(upload_max_bytes, max_bytes)
        self._app: Any = None
        self._declared: list[Declared] = []

    def limit_for(self, scope: Scope) -> int:
        # This runs before routing: Starlette puts the application in the scope, and the routes
        # that declare a limit are read from it once (the routes are fixed once it serves).
        app = scope.get("app")
        if app is not self._app:
            self._declared, self._app = declared_limits(app), app
        declared = limit_in(self._declared, scope, self.upload_max_bytes)
        return self.max_bytes if declared is None else declared

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        max_bytes = self.limit_for(scope)
        headers = dict(scope.get("headers") or [])
        length = headers.get(b"content-length")
        if length is not None and length.isdigit() and int(length) > max_bytes:
            await self._reject(send, max_bytes)
            return
        received = 0
        started = rejected = False

        async def limited_receive() -> Message:
            nonlocal received, rejected
            if rejected:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > max_bytes:
                    # Answer now and tell the app the client went away, so it stops reading;
                    # whatever it tries to send afterwards is dropped.
                    rejected = True
                    if not started:
                        await self._reject(send, max_bytes)
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if rejected:
                return
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        await self.app(scope, limited_receive, guarded_send)

    async def _reject(self, send: Send, max_bytes: int) -> None:
        body: dict[str, Any] = {
            "detail": f"Request body is larger than the limit of {max_bytes} bytes."
        }
        data = json.dumps(body).encode()
        await send({"type": "http.response.start", "status": 413,
                    "headers": [(b"content-type", b"application/json"),
                                (b"content-length", str(len(data)).encode())]})
        await send({"type": "http.response.body", "body": data})


#: Builds the refusal in the app's own error format (JSON or the HTML page) for a problem.
Refuser = Callable[[Scope, Receive, i18n.Message], Awaitable[Response]]


class TextHygieneMiddleware:
    """Refuse NUL, unpaired surrogates and invalid UTF-8 before any route sees the request.

    Checked: the path, the query string, urlencoded and multipart form fields (names and
    values, not file contents) and JSON bodies (every key and string, so that the escapes
    ``"\\u0000"`` and ``"\\ud800"`` are caught). One place instead of every route: such
    values cannot be stored (PostgreSQL refuses NUL, UTF-8 cannot encode a lone surrogate) and
    used to surface as 500 or 503 from deep inside a service, after part of the work was done.
    Invalid UTF-8 is refused rather than silently replaced, as it is how a surrogate arrives
    in a form.

    Bodies of those content types are read in full before the app runs and then replayed, so
    this must sit inside :class:`BodySizeLimitMiddleware`, which bounds them.
    """

    def __init__(self, app: ASGIApp, refuse: Refuser) -> None:
        self.app = app
        self.refuse = refuse

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        problem = _path_problem(scope.get("path", "")) or _urlencoded_problem(
            scope.get("query_string", b""), M_("query string"))
        kind, content_type = _body_kind(scope)
        if problem:
            await self._answer(scope, receive, send, problem)
            return
        if kind is None:
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return  # the client went away, or the size limit already answered 413
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        if kind == "json":
            problem = _json_problem(body)
        elif kind == "urlencoded":
            problem = _urlencoded_problem(body, M_("form"))
        else:
            problem = _multipart_problem(body, content_type)
        if problem:
            await self._answer(scope, receive, send, problem)
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _answer(self, scope: Scope, receive: Receive, send: Send,
                      problem: i18n.Message) -> None:
        response = await self.refuse(scope, receive, problem)
        await response(scope, receive, send)


def _body_kind(scope: Scope) -> tuple[str | None, bytes]:
    content_type = b""
    for name, value in scope.get("headers") or []:
        if name == b"content-type":
            content_type = value
            break
    media = content_type.split(b";", 1)[0].strip().lower()
    if media == b"application/x-www-form-urlencoded":
        return "urlencoded", content_type
    if media == b"multipart/form-data":
        return "multipart", content_type
    # FastAPI parses a body without a content type as JSON, so it is checked as JSON too.
    if media in (b"", b"application/json") or (
        media.startswith(b"application/") and media.endswith(b"+json")
    ):
        if scope.get("method") in ("GET", "HEAD", "OPTIONS") and not content_type:
            return None, content_type
        return "json", content_type
    return None, content_type


def _path_problem(path: str) -> i18n.Message | None:
    problem = text_problem(path)
    return M_("path: %(problem)s", problem=problem) if problem else None


def _urlencoded_problem(data: bytes, where: i18n.Message) -> i18n.Message | None:
    """Check each name and value of a query string or urlencoded form, naming the field."""
    for pair in data.split(b"&"):
        if not pair:
            continue
        raw_name, _, raw_value = pair.partition(b"=")
        name = _unquote(raw_name)
        value = _unquote(raw_value)
        if name is None:
            return M_("%(where)s: not valid UTF-8", where=where)
        problem = text_problem(name)
        if problem:
            return M_("%(where)s: %(problem)s", where=where, problem=problem)
        label = name or where
        if value is None:
            return M_("%(where)s: not valid UTF-8", where=label)
        problem = text_problem(value)
        if problem:
            return M_("%(where)s: %(problem)s", where=label, problem=problem)
    return None


def _unquote(raw: bytes) -> str | None:
    """Percent-decode like a form parser does, but None for invalid UTF-8 instead of U+FFFD."""
    try:
        return unquote_to_bytes(raw.replace(b"+", b" ")).decode("utf-8")
    except UnicodeDecodeError:
        return None


def _json_problem(body: bytes) -> i18n.Message | None:
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return M_("JSON body: not valid UTF-8")
    if b"\\u" not in body:
        return None  # no escapes: strict UTF-8 has no NUL inside strings nor any surrogate
    try:
        document = json.loads(body)
    except (ValueError, RecursionError):
        return None  # not JSON: the app's own parsing answers with its usual error
    stack: list[tuple[str, Any]] = [("body", document)]
    while stack:
        where, item = stack.pop()
        if isinstance(item, str):
            problem = text_problem(item)
            if problem:
                return M_("%(where)s: %(problem)s", where=where, problem=problem)
        elif isinstance(item, dict):
            for key, value in item.items():
                problem = text_problem(key)
                if problem:
                    return M_("%(where)s: %(problem)s", where=where, problem=problem)
                stack.append((key, value))
        elif isinstance(item, list):
            stack.extend((where, value) for value in item)
    return None


def _multipart_problem(body: bytes, content_type: bytes) -> i18n.Message | None:
    """Check the form fields of a multipart body; file parts are skipped unread."""
    _, params = parse_options_header(content_type)
    boundary = params.get(b"boundary")
    if not boundary:
        return None  # the app refuses it as before
    header_name = b""
    header_value = b""
    disposition = b""
    data: list[bytes] = []
    is_file = False
    name = ""
    problems: list[i18n.Message] = []

    def on_part_begin() -> None:
        nonlocal disposition, is_file, name
        disposition, is_file, name = b"", False, ""
        data.clear()

    def on_header_field(chunk: bytes, start: int, end: int) -> None:
        nonlocal header_name
        header_name += chunk[start:end]

    def on_header_value(chunk: bytes, start: int, end: int) -> None:
        nonlocal header_value
        header_value += chunk[start:end]

    def on_header_end() -> None:
        nonlocal header_name, header_value, disposition
        if header_name.lower() == b"content-disposition":
            disposition = header_value
        header_name = header_value = b""

    def on_headers_finished() -> None:
        nonlocal is_file, name
        _, options = parse_options_header(disposition)
        is_file = b"filename" in options
        try:
            name = options.get(b"name", b"").decode("utf-8")
        except UnicodeDecodeError:
            problems.append(M_("form field name: not valid UTF-8"))
            return
        problem = text_problem(name)
        if problem:
            problems.append(M_("form field name: %(problem)s", problem=problem))

    def on_part_data(chunk: bytes, start: int, end: int) -> None:
        if not is_file:
            data.append(chunk[start:end])

    def on_part_end() -> None:
        if is_file:
            return
        try:
            value = b"".join(data).decode("utf-8")
        except UnicodeDecodeError:
            problems.append(M_("%(where)s: not valid UTF-8", where=name or M_("form")))
            return
        problem = text_problem(value)
        if problem:
            problems.append(M_("%(where)s: %(problem)s", where=name or M_("form"),
                               problem=problem))

    callbacks: Any = {
        "on_part_begin": on_part_begin, "on_header_field": on_header_field,
        "on_header_value": on_header_value, "on_header_end": on_header_end,
        "on_headers_finished": on_headers_finished, "on_part_data": on_part_data,
        "on_part_end": on_part_end,
    }
    try:
        parser = MultipartParser(boundary, callbacks)
        parser.write(body)
        parser.finalize()
    except Exception:  # malformed multipart: the app answers as it always did
        return problems[0] if problems else None
    return problems[0] if problems else None
