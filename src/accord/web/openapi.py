"""The JSON API's OpenAPI document: the ``/api/`` operations, their authentication and errors.

Why this exists: FastAPI documents what each handler declares, but an Accord API call can also
be answered by what the app installs around every handler — the role check (401, 403), the
request validation and text-hygiene checks (422), the body size limit (413) and the error
handlers (404 for an unknown object, 503 with ``Retry-After`` when the database or a model is
unavailable). A client integrating with Accord needs all of them, so this module adds them to
every operation, together with the two ways to authenticate (an API token as a bearer token, or
a browser session with its CSRF token). ``tests/web/test_api_schema.py`` runs schemathesis
against the app with this document, so the document and the answers cannot drift apart.

The document is served at ``/api/v1/openapi.json`` (and ``/openapi.json``) to signed-in users;
``/docs`` is the vendored Swagger UI over it.
"""

from __future__ import annotations

import copy
import json
from typing import Any

from fastapi import FastAPI

API_PREFIX = "/api/"
FORM_TYPES = frozenset({"multipart/form-data", "application/x-www-form-urlencoded"})
DOCUMENT_URL = "/api/v1/openapi.json"

DESCRIPTION = """\
The JSON API of Accord: what other systems integrate with (cases to read, dispatch intake,
queue and alerts, the decision ledger and its signed checkpoints, vision redaction, governed AI
calls, users and background jobs).

**Authentication.** Send an API token as a bearer token:
`Authorization: Bearer acc_…`. A user creates their own tokens on their *Account* page
(`/account`); a token acts with that user's roles and can be revoked there. Only the token's
digest is stored. A signed-in browser session (cookie `accord_session`) also works, but then
every `POST` must carry the session's CSRF token in `X-CSRF-Token`; bearer tokens need none.

**Errors.** Every error body is JSON with a `detail` field, in the caller's language (the
user's language for a token, else `Accept-Language`):

* `400` — a form body (multipart or URL-encoded) that cannot be parsed;
* `401` — no credentials, or an invalid or revoked token (`WWW-Authenticate: Bearer`);
* `403` — the caller's roles do not allow the operation, the object is not theirs, a session
  request lacks its CSRF token, or the governed gateway refused the call (then the body also
  names the policy reasons and the ledger entry that records the refusal);
* `404` — no such object (or one the caller may not know exists);
* `409` — the request conflicts with the current state (e.g. a name already taken, an AI
  output still waiting for human review);
* `413` — the request body is larger than the operation accepts;
* `422` — invalid input. When the request does not match this document, `detail` is a list of
  `{loc, msg, type}` items (FastAPI's `ValidationError`); when a rule the service checks fails
  (an unknown incident type, a location outside the station's area, text with NUL bytes),
  `detail` is one message string;
* `503` — the database or a model is unavailable right now; nothing was decided. The answer
  carries `Retry-After` (seconds).

A `405` names the allowed methods in `Allow`.
"""

ERROR_SCHEMA: dict[str, Any] = {
    "title": "Error",
    "type": "object",
    "required": ["detail"],
    "properties": {"detail": {"type": "string", "title": "Detail",
                              "description": "What went wrong, in the caller's language."}},
}

VALIDATION_ERROR_RESPONSE: dict[str, Any] = {
    "title": "ValidationErrorResponse",
    "type": "object",
    "required": ["detail"],
    "properties": {"detail": {
        "title": "Detail",
        "description": "A list of items when the request does not match the document; one "
                       "message when a rule the service checks fails.",
        "anyOf": [{"type": "array", "items": {"$ref": "#/components/schemas/ValidationError"}},
                  {"type": "string"}]}},
}

GATEWAY_REFUSAL: dict[str, Any] = {
    "title": "GatewayRefusal",
    "type": "object",
    "required": ["detail"],
    "properties": {
        "detail": {"type": "string", "description": "Why the call was refused."},
        "reasons": {"type": "array", "items": {
            "type": "object", "required": ["policy_id", "reason"],
            "properties": {"policy_id": {"type": "string"}, "reason": {"type": "string"}}}},
        "ledger_seq": {"type": "integer",
                       "description": "The ledger entry that records the refusal."},
        "refused": {"type": "boolean"},
        "reason": {"type": "object", "description": "The refusal in English and Chinese.",
                   "properties": {"en": {"type": "string"}, "zh": {"type": "string"}}},
    },
}

_ERROR_REF = {"$ref": "#/components/schemas/Error"}

#: ``responses=`` for a route that answers 409 when the object's state does not allow the call.
CONFLICT: dict[int | str, dict[str, Any]] = {
    409: {"description": "The object's current state does not allow this.",
          "content": {"application/json": {"schema": _ERROR_REF}}}}
_RETRY_AFTER = {"Retry-After": {"description": "Seconds to wait before trying again.",
                                "required": True, "schema": {"type": "integer", "minimum": 1}}}


def _json(ref: dict[str, Any]) -> dict[str, Any]:
    return {"application/json": {"schema": ref}}


def _common_responses(path: str, operation: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The answers every API operation can give besides its own (see the module docstring)."""
    responses: dict[str, dict[str, Any]] = {
        "401": {"description": "No credentials, or an invalid or revoked API token.",
                "headers": {"WWW-Authenticate": {"schema": {"type": "string"},
                                                 "description": "`Bearer`"}},
                "content": _json(_ERROR_REF)},
        "403": {"description": "The caller's roles do not allow this, or a session request "
                               "lacks its CSRF token.",
                "content": _json(_ERROR_REF)},
        "422": {"description": "Invalid input.",
                "content": _json({"$ref": "#/components/schemas/ValidationErrorResponse"})},
        "503": {"description": "The database or a model is unavailable; nothing was decided.",
                "headers": _RETRY_AFTER, "content": _json(_ERROR_REF)},
    }
    if "{" in path:
        responses["404"] = {"description": "No such object, or not one the caller may open.",
                            "content": _json(_ERROR_REF)}
    if "requestBody" in operation:
        responses["413"] = {"description": "The request body is too large.",
                            "content": _json(_ERROR_REF)}
        if set(operation["requestBody"].get("content", {})) & FORM_TYPES:
            responses["400"] = {"description": "The form body could not be parsed (malformed "
                                               "multipart or URL-encoded data).",
                                "content": _json(_ERROR_REF)}
    return responses


def _merge_responses(path: str, operation: dict[str, Any]) -> None:
    responses = operation.setdefault("responses", {})
    for status, common in _common_responses(path, operation).items():
        declared = responses.get(status)
        if declared is None:
            responses[status] = common
            continue
        if status == "422":
            # FastAPI documents only its own list form; the service's checks answer with a
            # message string (see DESCRIPTION), so the documented body is the union of both.
            declared["content"] = common["content"]
            continue
        # A route that documents a status in words keeps its description; the body schema
        # and headers every such answer has are added where the route gave none.
        declared.setdefault("content", common.get("content"))
        if "headers" in common:
            declared.setdefault("headers", common["headers"])
    for status, declared in responses.items():
        if status.startswith(("4", "5")) and "content" not in declared:
            declared["content"] = _json(_ERROR_REF)


def _referenced(node: Any, found: set[str]) -> None:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
            found.add(ref.rsplit("/", 1)[1])
        for value in node.values():
            _referenced(value, found)
    elif isinstance(node, list):
        for value in node:
            _referenced(value, found)


def _prune_schemas(document: dict[str, Any]) -> None:
    """Keep only the component schemas the API operations use (directly or through others)."""
    schemas = document.get("components", {}).get("schemas", {})
    keep: set[str] = set()
    _referenced(document["paths"], keep)
    pending = list(keep)
    while pending:
        found: set[str] = set()
        _referenced(schemas.get(pending.pop(), {}), found)
        pending.extend(found - keep)
        keep |= found
    document["components"]["schemas"] = {k: v for k, v in sorted(schemas.items()) if k in keep}


def build_api_document(app: FastAPI) -> dict[str, Any]:
    """The API's OpenAPI document, built from the app's routes (see the module docstring)."""
    full = copy.deepcopy(app.openapi())
    document: dict[str, Any] = {
        "openapi": full["openapi"],
        "info": {"title": "Accord JSON API", "version": f"v1 ({app.version})",
                 "description": DESCRIPTION},
        "paths": {path: item for path, item in full["paths"].items()
                  if path.startswith(API_PREFIX)},
        "components": {"schemas": full.get("components", {}).get("schemas", {})},
        "security": [{"apiToken": []}, {"session": []}],
    }
    schemas = document["components"]["schemas"]
    schemas.update({"Error": ERROR_SCHEMA, "ValidationErrorResponse": VALIDATION_ERROR_RESPONSE,
                    "GatewayRefusal": GATEWAY_REFUSAL})
    document["components"]["securitySchemes"] = {
        "apiToken": {"type": "http", "scheme": "bearer", "bearerFormat": "acc_…",
                     "description": "An API token from the user's Account page (/account)."},
        "session": {"type": "apiKey", "in": "cookie", "name": "accord_session",
                    "description": "A browser session; POST requests also need the "
                                   "session's CSRF token in the X-CSRF-Token header."},
    }
    for path, item in document["paths"].items():
        for operation in item.values():
            _merge_responses(path, operation)
    _prune_schemas(document)
    # One JSON round trip: the cached document shares nothing with FastAPI's own.
    result: dict[str, Any] = json.loads(json.dumps(document))
    return result


def api_document(app: FastAPI) -> dict[str, Any]:
    """The document, built once per app (routes do not change after start-up)."""
    cached: dict[str, Any] | None = getattr(app.state, "api_document", None)
    if cached is None:
        cached = build_api_document(app)
        app.state.api_document = cached
    return cached
