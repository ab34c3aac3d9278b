"""C2SP signed notes, tlog checkpoints and Ed25519 witness cosignatures.

Why this format: a checkpoint is the signed tree head of a transparency log in the exact text
format used by the Go checksum database (golang.org/x/mod/sumdb/note), Sigstore Rekor v2,
Tessera, Sunlight and the public witness network. Speaking it byte-for-byte lets third-party
witnesses cosign Accord's ledger and lets an auditor check Accord's tree heads with tools Accord
did not write.

Specifications followed (section names as in the C2SP documents):

* c2sp.org/signed-note — "Format" (text, blank line, ``— <name> <base64(keyID || sig)>`` lines),
  "Signatures" (key ID = SHA-256(name || 0x0A || type || public key)[:4]; unknown keys are
  ignored; a known key whose signature fails rejects the note; no verified known signature
  rejects the note) and "Ed25519 signatures" (type 0x01).
* c2sp.org/tlog-checkpoint — "Note text" (origin, tree size, base64 root hash, optional
  extension lines).
* c2sp.org/tlog-cosignature — "Format" (type 0x04 key ID, ``timestamped_signature`` =
  u64 big-endian timestamp || 64-byte Ed25519 signature) and "Ed25519 signed message"
  (``cosignature/v1\\ntime <t>\\n`` followed by the checkpoint body).

Key strings follow golang.org/x/mod/sumdb/note: verifier keys ``<name>+<hex id>+<base64(type ||
public key)>`` and signer keys ``PRIVATE+KEY+<name>+<hex id>+<base64(type || seed)>``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

__all__ = [
    "KEY_TYPE_COSIGNATURE_V1",
    "KEY_TYPE_ED25519",
    "Checkpoint",
    "CosignatureSigner",
    "CosignatureVerifier",
    "InvalidSignatureError",
    "MalformedNoteError",
    "NoteError",
    "NoteSignature",
    "NoteSigner",
    "NoteVerifier",
    "ParsedNote",
    "Signer",
    "UnverifiedNoteError",
    "Verifier",
    "add_signatures",
    "compute_key_id",
    "cosignature_timestamp",
    "encode_verifier_key",
    "open_checkpoint",
    "open_note",
    "parse_note",
    "sign_note",
    "verifier_from_key",
    "verify_cosignature",
]

KEY_TYPE_ED25519 = 0x01
"""signed-note "Signature types": plain Ed25519 note signatures."""

KEY_TYPE_COSIGNATURE_V1 = 0x04
"""signed-note "Signature types": timestamped Ed25519 witness cosignatures (tlog-cosignature)."""

MAX_SIGNATURES = 100
"""signed-note "Format": verifiers SHOULD cap signatures and MUST accept at least 16.
100 is the cap used by golang.org/x/mod/sumdb/note."""

_SIG_PREFIX = "\u2014 "  # em dash, space
_ED25519_SIG_SIZE = 64
_TIMESTAMP_SIZE = 8
_MAX_TIMESTAMP = 2**63 - 1  # tlog-cosignature "Format": timestamp MUST NOT exceed 2^63 - 1
_HEX_ID = re.compile(r"[0-9a-fA-F]{8}")
_DECIMAL = re.compile(r"0|[1-9][0-9]*")


# ---------------------------------------------------------------------- errors


class NoteError(ValueError):
    """Base class for every signed-note failure."""


class MalformedNoteError(NoteError):
    """The text is not a syntactically valid signed note (or key string)."""


class UnverifiedNoteError(NoteError):
    """No signature from a trusted key verified, so the note text MUST be ignored."""


class InvalidSignatureError(NoteError):
    """A signature claims to be from a trusted key (name and key ID match) but fails."""


# ---------------------------------------------------------------------- helpers


def _b64encode(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _b64decode(text: str) -> bytes:
    """Strict standard base64 (RFC 4648 §4).

    Only the canonical encoding is accepted (padding present, no data after it, zero
    trailing bits), so one value has exactly one textual form and notes are not malleable.
    """
    try:
        data = base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError) as exc:
        raise MalformedNoteError(f"invalid base64: {text[:40]!r}") from exc
    if _b64encode(data) != text:
        raise MalformedNoteError(f"non-canonical base64: {text[:40]!r}")
    return data


def _is_valid_name(name: str) -> bool:
    """signed-note "Format": key names are non-empty, no Unicode spaces, no ``+``."""
    return bool(name) and "+" not in name and not any(ch.isspace() or ch < " " for ch in name)


def _check_name(name: str) -> str:
    if not isinstance(name, str) or not _is_valid_name(name):
        raise ValueError(f"invalid key name {name!r}: must be non-empty, no spaces, no '+'")
    return name


def _check_text(text: str) -> None:
    """signed-note "Format": valid UTF-8, no ASCII control characters other than newline."""
    for ch in text:
        if ch < " " and ch != "\n":
            raise MalformedNoteError(f"note contains control character {ch!r}")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:  # lone surrogates
        raise MalformedNoteError("note is not valid UTF-8") from exc


def compute_key_id(name: str, key_type: int, public_key: bytes) -> int:
    """signed-note "Signatures": ``SHA-256(name || 0x0A || type || public key)[:4]`` as uint32."""
    digest = hashlib.sha256(name.encode("utf-8") + b"\n" + bytes([key_type]) + public_key)
    return int.from_bytes(digest.digest()[:4], "big")


def _raw_public(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def _raw_seed(key: Ed25519PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.Raw,
        serialization.PrivateFormat.Raw,
        serialization.NoEncryption(),
    )


def encode_verifier_key(name: str, key_type: int, public_key: bytes) -> str:
    """Verifier key string ``<name>+<hex key ID>+<base64(type || public key)>``."""
    _check_name(name)
    key_id = compute_key_id(name, key_type, public_key)
    return f"{name}+{key_id:08x}+{_b64encode(bytes([key_type]) + public_key)}"


def _encode_signer_key(name: str, key_type: int, private_key: Ed25519PrivateKey) -> str:
    key_id = compute_key_id(name, key_type, _raw_public(private_key.public_key()))
    material = _b64encode(bytes([key_type]) + _raw_seed(private_key))
    return f"PRIVATE+KEY+{name}+{key_id:08x}+{material}"


def _parse_key_id(text: str) -> int:
    # int(x, 16) would also accept "+", "_" and spaces, so insist on exactly 8 hex digits.
    if not _HEX_ID.fullmatch(text):
        raise MalformedNoteError(f"key ID must be 8 hex digits, got {text!r}")
    return int(text, 16)


def _parse_verifier_key(vkey: str, allowed_types: Sequence[int]) -> tuple[str, int, int, bytes]:
    """Parse and self-check a verifier key string; returns (name, key ID, type, public key)."""
    parts = vkey.split("+", 2)  # base64 may itself contain "+": only the first two separate
    if len(parts) != 3:
        raise MalformedNoteError("verifier key must be <name>+<hex id>+<base64 key>")
    name, hex_id, material_b64 = parts
    if not _is_valid_name(name):
        raise MalformedNoteError(f"invalid key name {name!r}")
    key_id = _parse_key_id(hex_id)
    material = _b64decode(material_b64)
    if len(material) != 1 + 32 or material[0] not in allowed_types:
        raise MalformedNoteError("verifier key must be a 32-byte Ed25519 key of a supported type")
    key_type, public = material[0], material[1:]
    if compute_key_id(name, key_type, public) != key_id:
        raise MalformedNoteError("verifier key ID does not match its name and public key")
    return name, key_id, key_type, public


def _parse_signer_key(
    skey: str, allowed_types: Sequence[int]
) -> tuple[str, int, Ed25519PrivateKey]:
    parts = skey.split("+", 4)
    if len(parts) != 5 or parts[0] != "PRIVATE" or parts[1] != "KEY":
        raise MalformedNoteError("signer key must be PRIVATE+KEY+<name>+<hex id>+<base64 key>")
    name, hex_id, material_b64 = parts[2:]
    if not _is_valid_name(name):
        raise MalformedNoteError(f"invalid key name {name!r}")
    key_id = _parse_key_id(hex_id)
    material = _b64decode(material_b64)
    if len(material) != 1 + 32 or material[0] not in allowed_types:
        raise MalformedNoteError("signer key must be a 32-byte Ed25519 seed of a supported type")
    private = Ed25519PrivateKey.from_private_bytes(material[1:])
    # The ID in the string names the *public* key; re-derive it so a corrupted or mismatched
    # string is caught here instead of producing signatures nobody can verify.
    if compute_key_id(name, material[0], _raw_public(private.public_key())) != key_id:
        raise MalformedNoteError("signer key ID does not match its name and key")
    return name, key_id, private


# ---------------------------------------------------------------------- key protocols


class Signer(Protocol):
    """Anything that can add one signature line to a note."""

    @property
    def name(self) -> str: ...

    @property
    def key_id(self) -> int: ...

    def sign(self, message: bytes) -> bytes: ...


class Verifier(Protocol):
    """Anything that can check one signature line of a note."""

    @property
    def name(self) -> str: ...

    @property
    def key_id(self) -> int: ...

    def verify(self, message: bytes, signature: bytes) -> bool: ...


class NoteSigner:
    """Ed25519 note signer (signed-note type 0x01) — the log's own checkpoint key."""

    key_type = KEY_TYPE_ED25519

    def __init__(self, name: str, private_key: Ed25519PrivateKey) -> None:
        self.name = _check_name(name)
        self._private_key = private_key
        self.public_key = _raw_public(private_key.public_key())
        self.key_id = compute_key_id(name, self.key_type, self.public_key)

    @classmethod
    def generate(cls, name: str) -> NoteSigner:
        """Create a signer with a fresh random key."""
        return cls(name, Ed25519PrivateKey.generate())

    @classmethod
    def from_key_string(cls, skey: str) -> NoteSigner:
        """Load a ``PRIVATE+KEY+...`` signer key string."""
        name, _, private = _parse_signer_key(skey, (cls.key_type,))
        return cls(name, private)

    def key_string(self) -> str:
        """The ``PRIVATE+KEY+<name>+<hex id>+<base64(0x01 || seed)>`` string. Keep it secret."""
        return _encode_signer_key(self.name, self.key_type, self._private_key)

    def verifier_key(self) -> str:
        """The public ``<name>+<hex id>+<base64(0x01 || public key)>`` string."""
        return encode_verifier_key(self.name, self.key_type, self.public_key)

    def verifier(self) -> NoteVerifier:
        return NoteVerifier(self.verifier_key())

    def sign(self, message: bytes) -> bytes:
        """Ed25519 signature over the note text (signed-note "Ed25519 signatures")."""
        return self._private_key.sign(message)

    def __repr__(self) -> str:  # never print key material
        return f"{type(self).__name__}(name={self.name!r}, key_id={self.key_id:08x})"


class NoteVerifier:
    """Ed25519 note verifier built from a verifier key string (type 0x01)."""

    key_types: tuple[int, ...] = (KEY_TYPE_ED25519,)

    def __init__(self, vkey: str) -> None:
        name, key_id, key_type, public = _parse_verifier_key(vkey, self.key_types)
        self.name, self.key_id, self.key_type, self.public_key = name, key_id, key_type, public
        self._key = Ed25519PublicKey.from_public_bytes(public)

    def key_string(self) -> str:
        return encode_verifier_key(self.name, self.key_type, self.public_key)

    def verify(self, message: bytes, signature: bytes) -> bool:
        if len(signature) != _ED25519_SIG_SIZE:
            return False
        try:
            self._key.verify(signature, message)
        except InvalidSignature:
            return False
        return True

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.key_string()!r})"


def _cosigned_message(timestamp: int, body: bytes) -> bytes:
    """tlog-cosignature "Ed25519 signed message": header line, time line, checkpoint body."""
    return b"cosignature/v1\ntime %d\n" % timestamp + body


class CosignatureSigner:
    """Witness cosigner producing tlog-cosignature v1 Ed25519 signatures (type 0x04).

    A witness signs "as of time T, the largest consistent tree I have seen for this origin has
    this root" — the statement that defeats split-view attacks, because a log cannot show two
    different histories to parties who check for a quorum of witness cosignatures.
    """

    key_type = KEY_TYPE_COSIGNATURE_V1

    def __init__(
        self,
        name: str,
        private_key: Ed25519PrivateKey,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.name = _check_name(name)
        self._private_key = private_key
        self._clock = clock
        self.public_key = _raw_public(private_key.public_key())
        self.key_id = compute_key_id(name, self.key_type, self.public_key)

    @classmethod
    def generate(cls, name: str, clock: Callable[[], float] = time.time) -> CosignatureSigner:
        return cls(name, Ed25519PrivateKey.generate(), clock)

    @classmethod
    def from_key_string(
        cls, skey: str, clock: Callable[[], float] = time.time
    ) -> CosignatureSigner:
        """Load a signer key string of type 0x04 (or 0x01, as transparency-dev/formats does:
        the same Ed25519 seed, re-identified with the cosignature key ID)."""
        name, _, private = _parse_signer_key(skey, (KEY_TYPE_COSIGNATURE_V1, KEY_TYPE_ED25519))
        return cls(name, private, clock)

    def key_string(self) -> str:
        return _encode_signer_key(self.name, self.key_type, self._private_key)

    def verifier_key(self) -> str:
        return encode_verifier_key(self.name, self.key_type, self.public_key)

    def verifier(self) -> CosignatureVerifier:
        return CosignatureVerifier(self.verifier_key())

    def cosign(self, body: bytes, timestamp: int) -> bytes:
        """Return ``timestamped_signature`` (8-byte big-endian time || Ed25519 signature)."""
        if not 0 <= timestamp <= _MAX_TIMESTAMP:
            raise ValueError(f"cosignature timestamp {timestamp} out of range")
        Checkpoint.parse(body.decode("utf-8"))  # only checkpoints may be cosigned
        signature = self._private_key.sign(_cosigned_message(timestamp, body))
        return timestamp.to_bytes(_TIMESTAMP_SIZE, "big") + signature

    def sign(self, message: bytes) -> bytes:
        return self.cosign(message, int(self._clock()))

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r}, key_id={self.key_id:08x})"


class CosignatureVerifier(NoteVerifier):
    """Verifier for tlog-cosignature v1 Ed25519 cosignatures (verifier key type 0x04)."""

    key_types = (KEY_TYPE_COSIGNATURE_V1,)

    def verify(self, message: bytes, signature: bytes) -> bool:
        if len(signature) != _TIMESTAMP_SIZE + _ED25519_SIG_SIZE:
            return False
        timestamp = int.from_bytes(signature[:_TIMESTAMP_SIZE], "big")
        if timestamp > _MAX_TIMESTAMP:
            return False
        try:
            Checkpoint.parse(message.decode("utf-8"))
        except (NoteError, UnicodeDecodeError):
            return False
        return super().verify(_cosigned_message(timestamp, message), signature[_TIMESTAMP_SIZE:])


def verifier_from_key(vkey: str) -> NoteVerifier:
    """Build the right verifier class for a key string by its type byte (0x01 or 0x04)."""
    _, _, key_type, _ = _parse_verifier_key(vkey, (KEY_TYPE_ED25519, KEY_TYPE_COSIGNATURE_V1))
    if key_type == KEY_TYPE_COSIGNATURE_V1:
        return CosignatureVerifier(vkey)
    return NoteVerifier(vkey)


# ---------------------------------------------------------------------- notes


@dataclass(frozen=True)
class NoteSignature:
    """One parsed signature line: key name, key ID and the raw signature bytes after the ID."""

    name: str
    key_id: int
    signature: bytes

    def line(self) -> str:
        payload = self.key_id.to_bytes(4, "big") + self.signature
        return f"{_SIG_PREFIX}{self.name} {_b64encode(payload)}\n"


@dataclass(frozen=True)
class ParsedNote:
    """A note split into its text and (not yet verified) signature lines."""

    text: str
    signatures: tuple[NoteSignature, ...]

    def render(self) -> str:
        return self.text + "\n" + "".join(sig.line() for sig in self.signatures)


def _check_body(body: str) -> None:
    if not body.endswith("\n"):
        raise MalformedNoteError("note text must end with a newline")
    _check_text(body)


def _parse_signature_line(line: str) -> NoteSignature:
    if not line.startswith(_SIG_PREFIX):
        raise MalformedNoteError(f"signature line must start with an em dash: {line[:40]!r}")
    name, sep, b64 = line[len(_SIG_PREFIX) :].partition(" ")
    if not sep or not _is_valid_name(name) or not b64:
        raise MalformedNoteError(f"malformed signature line: {line[:60]!r}")
    payload = _b64decode(b64)
    if len(payload) < 5:
        raise MalformedNoteError("signature too short")
    return NoteSignature(name, int.from_bytes(payload[:4], "big"), payload[4:])


def parse_note(text: str | bytes) -> ParsedNote:
    """Split a signed note without verifying it (signed-note "Format").

    The text ends at the *last* blank line; every following line must be a signature line.
    """
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise MalformedNoteError("note is not valid UTF-8") from exc
    _check_text(text)
    split = text.rfind("\n\n")
    if split < 0:
        raise MalformedNoteError("note has no blank line before its signatures")
    body, sig_block = text[: split + 1], text[split + 2 :]
    if not sig_block or not sig_block.endswith("\n"):
        raise MalformedNoteError("note must end with at least one newline-terminated signature")
    lines = sig_block[:-1].split("\n")
    if len(lines) > MAX_SIGNATURES:
        raise MalformedNoteError(f"note has more than {MAX_SIGNATURES} signatures")
    return ParsedNote(body, tuple(_parse_signature_line(line) for line in lines))


def sign_note(body: str, signers: Iterable[Signer]) -> str:
    """Sign ``body`` (which must end in a newline) with each signer; return the note text."""
    _check_body(body)
    message = body.encode("utf-8")
    sigs = tuple(NoteSignature(s.name, s.key_id, s.sign(message)) for s in signers)
    if not sigs:
        raise ValueError("a signed note needs at least one signer")
    return ParsedNote(body, sigs).render()


def add_signatures(note: str, signers: Iterable[Signer]) -> str:
    """Append signatures (e.g. a witness cosignature) to an existing note.

    Existing lines with the same key name and ID are replaced, as golang.org/x/mod/sumdb/note's
    Sign does, so re-cosigning never accumulates stale duplicates. Existing signatures are *not*
    verified here: callers that cosign must first :func:`open_note` with the log's key.
    """
    parsed = parse_note(note)
    message = parsed.text.encode("utf-8")
    new = [NoteSignature(s.name, s.key_id, s.sign(message)) for s in signers]
    replaced = {(s.name, s.key_id) for s in new}
    kept = [s for s in parsed.signatures if (s.name, s.key_id) not in replaced]
    return ParsedNote(parsed.text, (*kept, *new)).render()


def _index_verifiers(verifiers: Iterable[Verifier]) -> dict[tuple[str, int], Verifier]:
    known: dict[tuple[str, int], Verifier] = {}
    for v in verifiers:
        key = (v.name, v.key_id)
        other = known.get(key)
        if other is not None and getattr(other, "public_key", None) != getattr(
            v, "public_key", None
        ):
            raise ValueError(f"ambiguous key {v.name}+{v.key_id:08x}: two different keys")
        known[key] = v
    return known


def open_note(text: str | bytes, verifiers: Iterable[Verifier]) -> tuple[str, list[str]]:
    """Verify a signed note and return ``(text, names of keys that verified)``.

    Per signed-note "Signatures": signatures from unknown (name, key ID) pairs are ignored; a
    signature from a known key that fails raises :class:`InvalidSignatureError` (the whole
    note is rejected); if no known key verified, :class:`UnverifiedNoteError` is raised.
    """
    parsed = parse_note(text)
    known = _index_verifiers(verifiers)
    message = parsed.text.encode("utf-8")
    verified: list[str] = []
    seen: set[tuple[str, int]] = set()
    for sig in parsed.signatures:
        key = (sig.name, sig.key_id)
        verifier = known.get(key)
        if verifier is None or key in seen:
            continue
        if not verifier.verify(message, sig.signature):
            raise InvalidSignatureError(f"invalid signature for key {sig.name}+{sig.key_id:08x}")
        seen.add(key)
        verified.append(sig.name)
    if not verified:
        raise UnverifiedNoteError("note has no verifiable signatures from a trusted key")
    return parsed.text, verified


# ---------------------------------------------------------------------- checkpoints


@dataclass(frozen=True)
class Checkpoint:
    """A log's tree head in C2SP tlog-checkpoint "Note text" form."""

    origin: str
    size: int
    root_hash: bytes
    extensions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.origin or "\n" in self.origin:
            raise ValueError("checkpoint origin must be a non-empty single line")
        if isinstance(self.size, bool) or not isinstance(self.size, int) or self.size < 0:
            raise ValueError(f"checkpoint size must be a non-negative int, got {self.size!r}")
        if self.size >= 2**64:
            raise ValueError("checkpoint size must fit in 64 bits")
        if len(self.root_hash) != 32:
            raise ValueError("checkpoint root hash must be 32 bytes (SHA-256)")
        if any(not ext or "\n" in ext for ext in self.extensions):
            raise ValueError("checkpoint extension lines must be non-empty single lines")

    def body(self) -> str:
        """The note text: origin, size, base64 root hash, extension lines, each + newline."""
        lines = [self.origin, str(self.size), _b64encode(self.root_hash), *self.extensions]
        return "".join(line + "\n" for line in lines)

    @classmethod
    def parse(cls, body: str) -> Checkpoint:
        """Parse checkpoint note text, rejecting anything the spec does not allow."""
        _check_body(body)
        lines = body[:-1].split("\n")
        if len(lines) < 3:
            raise MalformedNoteError("checkpoint needs origin, size and root hash lines")
        origin, size_text, root_b64, *extensions = lines
        if not origin:
            raise MalformedNoteError("checkpoint origin is empty")
        if not _DECIMAL.fullmatch(size_text):
            raise MalformedNoteError(f"checkpoint size {size_text!r} is not canonical decimal")
        root = _b64decode(root_b64)
        if len(root) != 32:
            raise MalformedNoteError("checkpoint root hash must be 32 bytes")
        if any(not ext for ext in extensions):
            raise MalformedNoteError("checkpoint extension lines must be non-empty")
        try:
            return cls(origin, int(size_text), root, tuple(extensions))
        except ValueError as exc:
            raise MalformedNoteError(str(exc)) from exc

    def sign(self, signers: Iterable[Signer]) -> str:
        """Return this checkpoint as a signed note."""
        return sign_note(self.body(), signers)


def open_checkpoint(text: str | bytes, log_verifier: Verifier) -> Checkpoint:
    """Verify the log's own signature on a checkpoint note and parse its body.

    Witness cosignatures on the same note are ignored here (see :func:`verify_cosignature`).
    """
    body, _ = open_note(text, [log_verifier])
    return Checkpoint.parse(body)


def _find_signature(parsed: ParsedNote, verifier: Verifier) -> NoteSignature:
    for sig in parsed.signatures:
        if sig.name == verifier.name and sig.key_id == verifier.key_id:
            return sig
    raise UnverifiedNoteError(f"no cosignature from {verifier.name}+{verifier.key_id:08x}")


def cosignature_timestamp(signature: NoteSignature) -> int:
    """The POSIX timestamp inside a v1 cosignature (not verified)."""
    if len(signature.signature) != _TIMESTAMP_SIZE + _ED25519_SIG_SIZE:
        raise MalformedNoteError("not an Ed25519 cosignature/v1 signature")
    return int.from_bytes(signature.signature[:_TIMESTAMP_SIZE], "big")


def verify_cosignature(note: str | bytes, verifier: CosignatureVerifier) -> int:
    """Check ``verifier``'s cosignature on a checkpoint note; return its timestamp.

    Raises :class:`UnverifiedNoteError` when the witness did not cosign this note and
    :class:`InvalidSignatureError` when its cosignature is present but does not verify (for
    example, it was copied from a different checkpoint).
    """
    parsed = parse_note(note)
    sig = _find_signature(parsed, verifier)
    if not verifier.verify(parsed.text.encode("utf-8"), sig.signature):
        raise InvalidSignatureError(
            f"invalid cosignature for key {verifier.name}+{verifier.key_id:08x}"
        )
    return cosignature_timestamp(sig)
