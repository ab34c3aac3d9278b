"""RFC 8785 (JSON Canonicalization Scheme) encoding of ledger entries.

Why canonical JSON: a leaf hash commits to *bytes*, not to a Python dict. If two programs could
serialise the same entry differently (key order, whitespace, ``1.0`` vs ``1``, escaping), an
auditor re-serialising an entry would get a different hash and could not tell tampering from
formatting. JCS fixes one byte string per JSON value, so any conforming implementation in any
language reproduces the exact leaf data.
"""

from __future__ import annotations

import json
import math
from typing import Any

import rfc8785

__all__ = ["CanonicalJSONError", "canonical_json", "is_canonical", "parse_canonical"]


class CanonicalJSONError(ValueError):
    """The value cannot be canonicalised, or the bytes are not canonical JSON."""


def _reject_non_finite(obj: Any, path: str) -> None:
    """Find NaN/Infinity before rfc8785 does, so the error names *where* the bad number is."""
    if isinstance(obj, float):
        if not math.isfinite(obj):
            raise CanonicalJSONError(
                f"{path}: {obj!r} is not representable in JSON (RFC 8785 forbids NaN/Infinity)"
            )
    elif isinstance(obj, dict):
        for key, value in obj.items():
            _reject_non_finite(value, f"{path}.{key}")
    elif isinstance(obj, list | tuple):
        for i, value in enumerate(obj):
            _reject_non_finite(value, f"{path}[{i}]")


def canonical_json(obj: Any) -> bytes:
    """Serialise ``obj`` as RFC 8785 canonical JSON (UTF-8 bytes, no trailing newline)."""
    _reject_non_finite(obj, "$")
    try:
        return rfc8785.dumps(obj)
    except (rfc8785.CanonicalizationError, TypeError, UnicodeError) as exc:
        raise CanonicalJSONError(f"cannot canonicalise value: {exc}") from exc


def _no_constants(name: str) -> Any:
    raise CanonicalJSONError(f"{name} is not valid JSON")


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj: dict[str, Any] = {}
    for key, value in pairs:
        if key in obj:
            raise CanonicalJSONError(f"duplicate object key {key!r}")
        obj[key] = value
    return obj


def parse_canonical(data: bytes) -> Any:
    """Parse ``data`` and return the value, raising unless ``data`` is already canonical.

    Used by the offline auditor: an entry line that is not byte-identical to its own
    canonical form was produced (or edited) by something other than the ledger writer.
    """
    try:
        text = bytes(data).decode("utf-8")
        value = json.loads(text, parse_constant=_no_constants, object_pairs_hook=_no_duplicate_keys)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CanonicalJSONError(f"not valid UTF-8 JSON: {exc}") from exc
    if canonical_json(value) != data:
        raise CanonicalJSONError("JSON is valid but not in RFC 8785 canonical form")
    return value


def is_canonical(data: bytes) -> bool:
    """True when ``data`` is exactly the RFC 8785 encoding of the JSON value it contains."""
    try:
        parse_canonical(data)
    except CanonicalJSONError:
        return False
    return True
