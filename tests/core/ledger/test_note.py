"""Tests for C2SP signed notes, checkpoints and witness cosignatures."""

from __future__ import annotations

import base64
import hashlib

import pytest

from accord.core.ledger.note import (
    KEY_TYPE_COSIGNATURE_V1,
    KEY_TYPE_ED25519,
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
    compute_key_id,
    cosignature_timestamp,
    open_checkpoint,
    open_note,
    parse_note,
    sign_note,
    verifier_from_key,
    verify_cosignature,
)

# ---------------------------------------------------------------------------------------------
# Vectors from golang.org/x/mod/sumdb/note note_test.go (TestNewVerifier, TestSign, TestOpen).
# ---------------------------------------------------------------------------------------------

PETER_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
PETER_SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
ENOCH_VKEY = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop"
GO_TEXT = (
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
)
PETER_SIG = (
    "— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZ"
    "b6KE6RyyBwJnAM=\n"
)
ENOCH_SIG = (
    "— EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33"
    "WWd1RvMc+QQ=\n"
)

# c2sp.org/signed-note test vector, as used in github.com/florolf/tlog-scales tests/test_signing.py
C2SP_VKEY = "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k"
C2SP_NOTE = (
    "This is an example message.\n\n— example.com/foo Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ON"
    "ncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n"
)

# A real checkpoint of the arche2025h1 staging CT log (static-ct-api), carrying the log's
# Ed25519 note signature, an RFC 6962 STH signature (type 0x05, unknown to us) and four Ed25519
# cosignatures from public witnesses. Copied from github.com/florolf/tlog-scales
# tests/test_signing.py; witness keys as published by the witness operators.
ARCHE_VKEY = (
    "arche2025h1.staging.ct.transparency.dev+ba2f06c0+AU0vHmlGCS/PdN8b2OaGmKprLI8HKM+dJ472xgFYh15f"
)
ARCHE_CHECKPOINT = """arche2025h1.staging.ct.transparency.dev
1432088532
U7WM79jrzyhGZ5/GUBTpM7NzwdyfFx61t3RovgcC4Ro=

— arche2025h1.staging.ct.transparency.dev zTM8sQAAAZ5W0WdjBAMARjBEAiBjW5IQf9pvsYLfQFX6hoGREPMHbdQ3urbllzalApkptQIgIpwtEroeW2BXaHAI4kJXFbon5Ch9MNL5zRNZ55lvGt0=
— arche2025h1.staging.ct.transparency.dev ui8GwCF1+kWqZrxGdhj4aX3gcw7XUlXQQabg/27lefwhUkzbC3NygNI75MdhL1bfTW9g8Ei59RA23oHP7Ry1k3ZFWwQ=
— transparency.dev/DEV:witness-little-garden 2AQqhwAAAABqEiEgzgFIqqhbUoDwjMWE6UP8nd8/KYTzwZ2rhIgcqoXHAwVkjZr4AscylP3v7sEodkRAErumC2q44vdgJY096st5BQ==
— witness1.smartit.nu/witness1 pIyCDwAAAABqEiEghIp82KWebrw7/oHQwlTAm3g2RKS4+eebl8eO0WH+/iEcxZ75W3u5hNI7TOQtmJbqmNWVuE0tgh0XwzdZsDsUAQ==
— remora.n621.de 2net5wAAAABqEiEgPlfF3V06o0Y+fHM+J5J9s27wgxxcOVSpZ/2g/KSiXCg9DEZI+aVCIobWX9sXTynk5XeU/zZ0WBxtqB0DrAWfBw==
— witness.stagemole.eu Z/euoAAAAABqEiEgw0i+7g2ENfDAWHmtRzCfKTHSDwYDJA2NmKeGi9Y8FtEyOUvVr+AJmIY/2TUFucgKi7lI7cUiOvKFYe/TmN9DAg==
"""  # noqa: E501
ARCHE_WITNESSES = [
    "remora.n621.de+da77ade7+BOvN63jn/bLvkieywe8R6UYAtVtNbZpXh34x7onlmtw2",
    "witness.stagemole.eu+67f7aea0+BEqSG3yu9YrmcM3BHvQYTxwFj3uSWakQepafafpUqklv",
    "transparency.dev/DEV:witness-little-garden+d8042a87+BCtusOxINQNUTN5Oj8HObRkh2yHf/MwYaGX4CPdiVEPM",
    "witness1.smartit.nu/witness1+a48c820f+BPSFWg9G6KPiO7QPryYO5Xq4oYJJ+kAvLKLSimDhoxMO",
]


# ---------------------------------------------------------------------------------------------
# Key strings
# ---------------------------------------------------------------------------------------------


def test_go_vector_key_ids_and_round_trip() -> None:
    verifier = NoteVerifier(PETER_VKEY)
    signer = NoteSigner.from_key_string(PETER_SKEY)
    assert verifier.name == signer.name == "PeterNeumann"
    assert verifier.key_id == signer.key_id == 0xC74F20A3
    assert signer.key_string() == PETER_SKEY
    assert signer.verifier_key() == PETER_VKEY
    assert verifier.key_string() == PETER_VKEY
    pub = base64.b64decode(PETER_VKEY.split("+", 2)[2])[1:]
    expected = hashlib.sha256(b"PeterNeumann\n\x01" + pub).digest()[:4]
    assert compute_key_id("PeterNeumann", KEY_TYPE_ED25519, pub) == int.from_bytes(expected)


def test_key_strings_whose_base64_contains_plus() -> None:
    # From transparency-dev/formats note_cosigv1_test.go (TestCoSigV1NewVerifier).
    assert NoteVerifier("TEST+7997405c+AQcC+FTVKf0jlTdHDY3rbevmnKxxPjigCXlVtGe6RIr6").key_id == (
        0x7997405C
    )


def test_cosignature_key_id_uses_type_0x04() -> None:
    witness = CosignatureVerifier(ARCHE_WITNESSES[0])
    assert witness.key_id == 0xDA77ADE7
    assert witness.key_id == compute_key_id(witness.name, 0x04, witness.public_key)
    with pytest.raises(MalformedNoteError):
        NoteVerifier(ARCHE_WITNESSES[0])  # a type 0x04 key is not a plain note key
    with pytest.raises(MalformedNoteError):
        CosignatureVerifier(PETER_VKEY)
    assert isinstance(verifier_from_key(ARCHE_WITNESSES[0]), CosignatureVerifier)
    assert type(verifier_from_key(PETER_VKEY)) is NoteVerifier


def _manglings(key: str):
    raw = key.encode()
    for i in range(len(raw) + 1):
        for j in range(i + 1, len(raw) + 1):
            if i != 0 or j != len(raw):
                yield raw[i:j].decode(errors="replace")
    for i in range(len(raw)):
        yield (raw[:i] + bytes([raw[i] + 1]) + raw[i + 1 :]).decode(errors="replace")


def test_mangled_verifier_keys_are_rejected() -> None:
    # Mirrors TestNewVerifier in golang.org/x/mod/sumdb/note.
    for bad in _manglings(PETER_VKEY):
        with pytest.raises(MalformedNoteError):
            NoteVerifier(bad)
    for bad in [
        # wrong length key, with adjusted key hash
        "PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY==",
        # unknown algorithm, with adjusted key hash
        "PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW+",
        "Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
    ]:
        with pytest.raises(MalformedNoteError):
            NoteVerifier(bad)


def test_mangled_signer_keys_are_rejected() -> None:
    # Mirrors TestNewSigner in golang.org/x/mod/sumdb/note.
    for bad in _manglings(PETER_SKEY):
        with pytest.raises(MalformedNoteError):
            NoteSigner.from_key_string(bad)


def test_generated_keys_round_trip() -> None:
    signer = NoteSigner.generate("accord.example/ledger")
    again = NoteSigner.from_key_string(signer.key_string())
    assert again.verifier_key() == signer.verifier_key()
    assert "PRIVATE" not in repr(signer)
    assert signer.key_string().startswith("PRIVATE+KEY+accord.example/ledger+")
    with pytest.raises(ValueError, match="invalid key name"):
        NoteSigner.generate("bad+name")
    with pytest.raises(ValueError, match="invalid key name"):
        NoteSigner.generate("bad name")


# ---------------------------------------------------------------------------------------------
# Signed notes
# ---------------------------------------------------------------------------------------------


def test_sign_reproduces_go_output_exactly() -> None:
    signer = NoteSigner.from_key_string(PETER_SKEY)
    assert sign_note(GO_TEXT, [signer]) == GO_TEXT + "\n" + PETER_SIG


def test_open_go_note_with_known_and_unknown_keys() -> None:
    peter, enoch = NoteVerifier(PETER_VKEY), NoteVerifier(ENOCH_VKEY)
    note = GO_TEXT + "\n" + PETER_SIG + ENOCH_SIG
    assert open_note(note, [peter]) == (GO_TEXT, ["PeterNeumann"])
    assert open_note(note, [peter, enoch]) == (GO_TEXT, ["PeterNeumann", "EnochRoot"])
    assert open_note(note.encode(), [enoch]) == (GO_TEXT, ["EnochRoot"])
    with pytest.raises(UnverifiedNoteError):
        open_note(note, [])
    # Repeated identical signatures are verified once and reported once.
    assert open_note(GO_TEXT + "\n" + PETER_SIG * 3, [peter]) == (GO_TEXT, ["PeterNeumann"])


def test_c2sp_signed_note_vector() -> None:
    assert open_note(C2SP_NOTE, [NoteVerifier(C2SP_VKEY)]) == (
        "This is an example message.\n",
        ["example.com/foo"],
    )


def test_corrupted_signature_from_known_key_rejects_note() -> None:
    bad = PETER_SIG[:60] + "ABCD" + PETER_SIG[60:]
    with pytest.raises(InvalidSignatureError, match=r"PeterNeumann\+c74f20a3"):
        open_note(GO_TEXT + "\n" + bad, [NoteVerifier(PETER_VKEY)])


@pytest.mark.parametrize(
    "note",
    [
        GO_TEXT,
        GO_TEXT + "\n",
        GO_TEXT + "\n" + PETER_SIG[:-1],
        "\x01" + GO_TEXT + "\n" + PETER_SIG,
        b"\xff" + (GO_TEXT + "\n" + PETER_SIG).encode(),
        GO_TEXT + "\n" + PETER_SIG.replace("PeterNeumann", "Bad Name"),
        GO_TEXT + "\n" + PETER_SIG + "Unexpected line.\n",
        GO_TEXT + "\n" + PETER_SIG * 101,
        GO_TEXT + "\n" + "— PeterNeumann AAAA\n",
        GO_TEXT + "\n" + PETER_SIG.replace("AM=", "AM"),
        GO_TEXT + "\n" + PETER_SIG.replace("AM=", "AN="),  # same bytes, non-canonical base64
        GO_TEXT + "\r\n" + PETER_SIG,
    ],
)
def test_malformed_notes_are_rejected(note: str | bytes) -> None:
    # The list mirrors badMsgs in golang.org/x/mod/sumdb/note TestOpen, plus a few more.
    with pytest.raises(MalformedNoteError):
        open_note(note, [NoteVerifier(PETER_VKEY)])


def test_round_trip_wrong_key_and_edited_body() -> None:
    signer = NoteSigner.generate("accord.example/ledger")
    body = "line one\n\nline three after a blank line\n"
    note = sign_note(body, [signer])
    assert open_note(note, [signer.verifier()]) == (body, ["accord.example/ledger"])

    impostor = NoteSigner.generate("accord.example/ledger")  # same name, different key
    with pytest.raises(UnverifiedNoteError):
        open_note(note, [impostor.verifier()])

    edited = note.replace("line three", "line 3")
    with pytest.raises(InvalidSignatureError):
        open_note(edited, [signer.verifier()])


def test_sign_note_requires_newline_terminated_clean_text() -> None:
    signer = NoteSigner.generate("k")
    with pytest.raises(MalformedNoteError):
        sign_note("no newline", [signer])
    with pytest.raises(MalformedNoteError):
        sign_note("tab\there\n", [signer])
    with pytest.raises(ValueError, match="at least one signer"):
        sign_note("ok\n", [])


def test_ambiguous_verifiers_are_refused() -> None:
    class Fake:
        name, key_id, public_key = "PeterNeumann", 0xC74F20A3, b"\x00" * 32

        def verify(self, message: bytes, signature: bytes) -> bool:
            return True

    with pytest.raises(ValueError, match="ambiguous key"):
        open_note(GO_TEXT + "\n" + PETER_SIG, [NoteVerifier(PETER_VKEY), Fake()])


def test_parse_note_splits_at_last_blank_line() -> None:
    parsed = parse_note("a\n\nb\n\n" + PETER_SIG)
    assert parsed.text == "a\n\nb\n"
    assert [(s.name, s.key_id) for s in parsed.signatures] == [("PeterNeumann", 0xC74F20A3)]
    assert parsed.render() == "a\n\nb\n\n" + PETER_SIG


# ---------------------------------------------------------------------------------------------
# Checkpoints
# ---------------------------------------------------------------------------------------------


def test_checkpoint_body_format_and_parse_round_trip() -> None:
    root = bytes(range(32))
    cp = Checkpoint("example.com/behind-the-sofa", 20852163, root)
    body = cp.body()
    assert body == (
        "example.com/behind-the-sofa\n20852163\n" + base64.b64encode(root).decode() + "\n"
    )
    assert Checkpoint.parse(body) == cp
    with_ext = Checkpoint("o", 0, root, ("ext one",))
    assert Checkpoint.parse(with_ext.body()) == with_ext


@pytest.mark.parametrize(
    "body",
    [
        "origin\n12\n" + "A" * 43 + "=",  # no final newline
        "origin\n12\n",  # no root
        "\n12\n" + base64.b64encode(bytes(32)).decode() + "\n",  # empty origin
        "origin\n012\n" + base64.b64encode(bytes(32)).decode() + "\n",  # leading zero
        "origin\n+12\n" + base64.b64encode(bytes(32)).decode() + "\n",
        "origin\n1 2\n" + base64.b64encode(bytes(32)).decode() + "\n",
        "origin\n١٢\n" + base64.b64encode(bytes(32)).decode() + "\n",  # non-ASCII digits
        "origin\n12\n" + base64.b64encode(bytes(31)).decode() + "\n",  # 31-byte root
        "origin\n12\n" + base64.b64encode(bytes(32)).decode().rstrip("=") + "\n",
        "origin\n12\n" + base64.b64encode(bytes(32)).decode() + "\n\n",  # empty extension
    ],
)
def test_checkpoint_parse_rejects_malformed_bodies(body: str) -> None:
    with pytest.raises(MalformedNoteError):
        Checkpoint.parse(body)


def test_checkpoint_sign_and_open() -> None:
    signer = NoteSigner.generate("accord.example/ledger")
    cp = Checkpoint("accord.example/ledger", 5, hashlib.sha256(b"root").digest())
    note = cp.sign([signer])
    assert open_checkpoint(note, signer.verifier()) == cp
    other = NoteSigner.generate("accord.example/other")
    with pytest.raises(UnverifiedNoteError):
        open_checkpoint(note, other.verifier())


def test_real_world_checkpoint_with_witness_cosignatures() -> None:
    cp = open_checkpoint(ARCHE_CHECKPOINT, NoteVerifier(ARCHE_VKEY))
    assert cp.origin == "arche2025h1.staging.ct.transparency.dev"
    assert cp.size == 1432088532
    assert cp.root_hash == base64.b64decode("U7WM79jrzyhGZ5/GUBTpM7NzwdyfFx61t3RovgcC4Ro=")
    for key in ARCHE_WITNESSES:
        # All four witnesses cosigned in the same second.
        assert verify_cosignature(ARCHE_CHECKPOINT, CosignatureVerifier(key)) == 1779573024
    clobbered = ARCHE_CHECKPOINT.replace("1432088532", "42")
    with pytest.raises(InvalidSignatureError):
        verify_cosignature(clobbered, CosignatureVerifier(ARCHE_WITNESSES[0]))
    with pytest.raises(InvalidSignatureError):
        open_checkpoint(clobbered, NoteVerifier(ARCHE_VKEY))


# ---------------------------------------------------------------------------------------------
# Cosignatures
# ---------------------------------------------------------------------------------------------


def _signed_checkpoint(size: int, log: NoteSigner) -> str:
    cp = Checkpoint(log.name, size, hashlib.sha256(str(size).encode()).digest())
    return cp.sign([log])


def test_cosignature_round_trip_and_wire_format() -> None:
    log = NoteSigner.generate("accord.example/ledger")
    witness = CosignatureSigner.generate("witness.example/w1", clock=lambda: 1_700_000_000.9)
    note = add_signatures(_signed_checkpoint(10, log), [witness])

    assert open_note(note, [log.verifier()])[1] == ["accord.example/ledger"]
    assert verify_cosignature(note, witness.verifier()) == 1_700_000_000

    line = note.rstrip("\n").split("\n")[-1]
    assert line.startswith("— witness.example/w1 ")
    payload = base64.b64decode(line.split(" ")[2])
    assert len(payload) == 4 + 8 + 64
    assert payload[:4] == witness.key_id.to_bytes(4, "big")
    assert payload[4:12] == (1_700_000_000).to_bytes(8, "big")
    # The signed message is exactly "cosignature/v1\ntime <t>\n" + checkpoint body.
    body = parse_note(note).text
    message = b"cosignature/v1\ntime 1700000000\n" + body.encode()
    witness._private_key.public_key().verify(payload[12:], message)

    # A witness key is also accepted by open_note alongside the log key.
    names = open_note(note, [log.verifier(), witness.verifier()])[1]
    assert names == ["accord.example/ledger", "witness.example/w1"]


def test_cosignature_on_a_different_checkpoint_is_rejected() -> None:
    log = NoteSigner.generate("accord.example/ledger")
    witness = CosignatureSigner.generate("witness.example/w1")
    cosigned_10 = add_signatures(_signed_checkpoint(10, log), [witness])
    plain_11 = _signed_checkpoint(11, log)
    stolen_line = cosigned_10.rstrip("\n").split("\n")[-1] + "\n"
    forged = plain_11 + stolen_line
    assert open_note(forged, [log.verifier()])[1] == ["accord.example/ledger"]
    with pytest.raises(InvalidSignatureError):
        verify_cosignature(forged, witness.verifier())
    with pytest.raises(UnverifiedNoteError):
        verify_cosignature(plain_11, witness.verifier())


def test_cosigner_and_note_signer_with_same_seed_do_not_confuse_types() -> None:
    log = NoteSigner.generate("k")
    witness = CosignatureSigner.from_key_string(log.key_string())  # 0x01 seed accepted
    assert witness.public_key == log.public_key
    assert witness.key_id != log.key_id
    assert witness.key_string().startswith("PRIVATE+KEY+k+")
    assert CosignatureSigner.from_key_string(witness.key_string()).key_id == witness.key_id
    note = add_signatures(_signed_checkpoint(3, log), [witness])
    # Each verifier only picks up its own line.
    assert open_note(note, [log.verifier()])[1] == ["k"]
    assert verify_cosignature(note, witness.verifier()) > 0


def test_add_signatures_replaces_same_key_and_rejects_non_checkpoints() -> None:
    log = NoteSigner.generate("accord.example/ledger")
    times = iter([100, 200, 300])
    witness = CosignatureSigner.generate("w", clock=lambda: next(times))
    once = add_signatures(_signed_checkpoint(4, log), [witness])
    twice = add_signatures(once, [witness])
    assert len(parse_note(twice).signatures) == 2
    assert verify_cosignature(twice, witness.verifier()) == 200
    with pytest.raises(NoteError):
        add_signatures(sign_note("not a checkpoint\n", [log]), [witness])
    with pytest.raises(ValueError, match="timestamp"):
        witness.cosign(Checkpoint("o", 1, bytes(32)).body().encode(), 2**63)


def test_cosignature_timestamp_vector() -> None:
    # From transparency-dev/formats note_cosigv1_test.go (TestCoSigV1Timestamp).
    good = "ZGhGuQAAAABm/qTPeyKXD+R2rzyQsxPiP8mXum7qq/iF0u4vanlqJyocWODBt97w9uL+8qT7S5gxEHWWOworDcFiEBYJXORmnFBOBA=="  # noqa: E501
    plain = "eQjRQm6eSKzFoiYalgwCPXu2y3ijtg68is9M46JKxuZB+dRfTmeQeDBoXnvxZx2ugnkyV+MUMLXpWs1hPb/W/4xkNQY="  # noqa: E501
    sig = parse_note(f"o\n1\nr\n\n— w {good}\n").signatures[0]
    assert cosignature_timestamp(sig) == 1727964367
    with pytest.raises(MalformedNoteError):
        cosignature_timestamp(parse_note(f"o\n1\nr\n\n— w {plain}\n").signatures[0])


def test_cosignature_verifier_refuses_wrong_shapes() -> None:
    witness = CosignatureSigner.generate("w")
    verifier = witness.verifier()
    body = Checkpoint("o", 1, bytes(32)).body().encode()
    sig = witness.cosign(body, 5)
    assert verifier.verify(body, sig)
    assert not verifier.verify(body, sig[8:])  # no timestamp
    assert not verifier.verify(body, b"\xff" * 8 + sig[8:])  # timestamp above 2^63-1
    too_late = 2**63  # correctly signed, but beyond the spec's maximum timestamp
    late_sig = witness._private_key.sign(b"cosignature/v1\ntime %d\n" % too_late + body)
    assert not verifier.verify(body, too_late.to_bytes(8, "big") + late_sig)
    assert not verifier.verify(body, (6).to_bytes(8, "big") + sig[8:])  # other timestamp
    assert not verifier.verify(b"not a checkpoint\n", sig)
    assert KEY_TYPE_COSIGNATURE_V1 == verifier.key_type == 0x04
