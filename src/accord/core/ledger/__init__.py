"""Tamper-evident ledger core: RFC 6962 Merkle tree, RFC 8785 canonical JSON, C2SP checkpoints.

This package is deliberately pure (standard library, ``cryptography`` and ``rfc8785`` only; no
database or web imports) so that the exact code that proves the ledger's integrity can also be
run by an outside auditor against an export (:mod:`accord.core.ledger.export`).
"""

from typing import Any

from .canonical import CanonicalJSONError, canonical_json, is_canonical, parse_canonical
from .merkle import (
    EMPTY_ROOT,
    MerkleTree,
    leaf_hash,
    node_hash,
    verify_consistency,
    verify_inclusion,
)
from .note import (
    Checkpoint,
    CosignatureSigner,
    CosignatureVerifier,
    InvalidSignatureError,
    MalformedNoteError,
    NoteError,
    NoteSigner,
    NoteVerifier,
    UnverifiedNoteError,
    add_signatures,
    open_checkpoint,
    open_note,
    sign_note,
    verify_cosignature,
)

__all__ = [
    "EMPTY_ROOT",
    "CanonicalJSONError",
    "Checkpoint",
    "CosignatureSigner",
    "CosignatureVerifier",
    "ExportReport",
    "InvalidSignatureError",
    "MalformedNoteError",
    "MerkleTree",
    "NoteError",
    "NoteSigner",
    "NoteVerifier",
    "UnverifiedNoteError",
    "add_signatures",
    "canonical_json",
    "is_canonical",
    "leaf_hash",
    "node_hash",
    "open_checkpoint",
    "open_note",
    "parse_canonical",
    "sign_note",
    "verify_consistency",
    "verify_cosignature",
    "verify_export",
    "verify_inclusion",
    "write_export",
]

_EXPORT_NAMES = frozenset({"ExportReport", "verify_export", "write_export"})


def __getattr__(name: str) -> Any:
    """Import the export module lazily, so ``python -m accord.core.ledger.export`` does not find
    it already imported by the package (runpy would warn about double execution)."""
    if name in _EXPORT_NAMES:
        from . import export

        return getattr(export, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
