"""The ledger's fast RFC 8785 encoder (``store.canonical_bytes``) must produce exactly the bytes
of the reference ``canonical_json`` (and fail where it fails): leaf hashes depend on them."""

from __future__ import annotations

import random
import struct
import sys
from typing import Any

import pytest

from accord.core.ledger.canonical import CanonicalJSONError, canonical_json
from accord.core.ledger.store import _AS_IS, _WITH_INTS, _plain, canonical_bytes


def test_every_code_point_is_escaped_as_rfc8785_does() -> None:
    text = "".join(chr(c) for c in range(sys.maxunicode + 1) if not 0xD800 <= c <= 0xDFFF)
    assert canonical_bytes(text) == canonical_json(text)
    for c in range(0x80):  # each ASCII character alone, in keys and values
        assert canonical_bytes({chr(c): chr(c)}) == canonical_json({chr(c): chr(c)})


def test_floats_match_the_ecmascript_form() -> None:
    rng = random.Random(5)
    values = [struct.unpack("d", rng.randbytes(8))[0] for _ in range(20_000)]
    values += [rng.uniform(-1e17, 1e17) for _ in range(5_000)]
    values += [round(rng.random(), 4) for _ in range(5_000)]
    values += [10.0**e for e in range(-12, 25)] + [-(10.0**e) for e in range(-12, 25)]
    values += [0.0, -0.0, 1e-4, 9.999999999999999e-5, 1e16, 9999999999999998.0, 5e-324]
    for value in values:
        try:
            expected = canonical_json(value)
        except CanonicalJSONError:
            with pytest.raises(CanonicalJSONError):
                canonical_bytes(value)
            continue
        assert canonical_bytes(value) == expected, value


_KEYS = ["a", "B", "seq", "é", "\u20ac", "\ufb01", "\U0001f600", "", "a\nb", "z" * 3]
_ASCII_KEYS = ["a", "B", "seq", "", "a\nb", "\x00", "\x7f", "Z_", "z" * 3, "~"]


def _random_value(rng: random.Random, depth: int = 0, keys: list[str] = _KEYS) -> Any:
    kind = rng.randrange(9 if depth < 3 else 6)
    if kind == 0:
        return rng.choice([None, True, False])
    if kind == 1:
        return rng.choice([0, -1, 7, 2**53 - 1, -(2**53) + 1, rng.randrange(-(10**9), 10**9)])
    if kind == 2:
        return rng.uniform(-1e6, 1e6)
    if kind in (3, 4, 5):
        return "".join(
            chr(
                rng.choice(
                    [
                        rng.randrange(0x20, 0x7F),
                        rng.randrange(0, 0x20),
                        rng.randrange(0x80, 0xD800),
                        rng.randrange(0xE000, 0x110000),
                    ]
                )
            )
            for _ in range(rng.randrange(12))
        )
    if kind in (6, 7):
        return {
            rng.choice(keys) + rng.choice(keys): _random_value(rng, depth + 1, keys)
            for _ in range(rng.randrange(6))
        }
    return [_random_value(rng, depth + 1, keys) for _ in range(rng.randrange(5))]


def test_random_documents_match_byte_for_byte() -> None:
    rng = random.Random(11)
    for _ in range(3_000):
        value = {"seq": rng.randrange(10**6), "body": _random_value(rng)}
        assert canonical_bytes(value) == canonical_json(value)


def test_documents_with_ascii_keys_take_the_c_encoder_and_match_byte_for_byte() -> None:
    """Keys ASCII, values anything (non-ASCII and control characters, nested dicts and lists,
    ints at the safe limits, floats): the C encoder path, byte for byte the reference's."""
    rng = random.Random(13)
    plain = 0
    for _ in range(5_000):
        value = {"seq": rng.randrange(10**6), "body": _random_value(rng, keys=_ASCII_KEYS)}
        plain += bool(_plain(value))
        assert canonical_bytes(value) == canonical_json(value), value
    assert plain > 2_500  # most of them really went through the C encoder


def test_a_gateway_entry_takes_the_c_encoder() -> None:
    entry = {"seq": 7, "time": "2026-12-07T23:06:21.907Z", "kind": "decision",
             "actor": "user:1", "roles": ["officer"], "case_ref": "",
             "capability": {"id": "interpret.langid", "version": "1"},
             "model": {"digest": "sha256:ab", "name": "langid", "version": "1.1"},
             "policy": {"decision": "allow", "reasons": ["permit"], "version": "sha256:cd"},
             "explanation": "最可能的语言：es（概率 0.99）\u2028", "confidence": 0.9871,
             "review": {"required": False, "role": ""}, "decision": "592397c6cd2153d9"}
    assert _plain(entry) == _AS_IS
    assert canonical_bytes(entry) == canonical_json(entry)
    # A confidence of 1.0 too, with the float encoded as the int it equals ("1", not "1.0").
    certain = {**entry, "confidence": 1.0}
    assert _plain(certain) == _WITH_INTS
    assert canonical_bytes(certain) == canonical_json(certain)
    assert b'"confidence":1,' in canonical_bytes(certain)
    # What the C encoder would print differently is never vouched for: exponent-form floats,
    # non-ASCII keys (UTF-16 order), big ints, subclasses.
    for odd in (1e-7, 1e16, 2**53, {"é": 1}, (1, 2), float("nan")):
        assert not _plain({**entry, "odd": odd})


def test_integral_floats_take_the_c_encoder_and_match_byte_for_byte() -> None:
    """Integral floats over the whole positional range (up to 1e16, past 2**53 where not every
    integer is a float), alone and nested, as the reference encodes them."""
    rng = random.Random(17)
    values = [float(rng.randrange(1, 10**e)) for e in range(1, 17) for _ in range(200)]
    values += [1.0, -1.0, 2.0**53, 2.0**53 + 2, -(2.0**53) - 2, 9999999999999998.0, 1e15]
    for value in values:
        for document in (value, -value, {"x": value, "y": [0.5, value, {"z": -value}]}):
            assert _plain(document) == _WITH_INTS
            assert canonical_bytes(document) == canonical_json(document), document


@pytest.mark.parametrize(
    "value",
    [
        {"x": float("nan")},
        {"x": [float("inf")]},
        {"x": "\ud800"},
        {"\udfff": 1},
        {"x": 2**53},
        {"x": -(2**53)},
        {1: "non-string key"},
        {"x": object()},
    ],
)
def test_what_the_reference_refuses_is_refused(value: Any) -> None:
    with pytest.raises(CanonicalJSONError) as reference:
        canonical_json(value)
    with pytest.raises(CanonicalJSONError) as fast:
        canonical_bytes(value)
    assert str(fast.value) == str(reference.value)


def test_subclasses_and_tuples_use_the_reference() -> None:
    class Text(str):
        pass

    value = {"t": (1, "two"), "s": Text("x"), "b": [True, 1, 1.5]}
    assert canonical_bytes(value) == canonical_json(value)


def test_content_digest_from_encoded_parts_is_the_digest_of_the_row() -> None:
    """The gateway encodes a call's inputs and output once and hands the texts to the content
    digest; verification recomputes it from the stored row. Both must give the same digest
    for any content: non-ASCII, nested, floats, None, missing fields."""
    from accord.core.ledger.store import canonical_object, content_digest

    rng = random.Random(17)
    salt = bytes(range(32))
    for _ in range(2_000):
        row = {"inputs": _random_value(rng), "output": _random_value(rng),
               "explanation": rng.choice(["", "Fit on 8 weeks.", "语言：中文", None]),
               "confidence": rng.choice([None, 0.5, 1.0, 0.12345]),
               "subject_key": rng.choice(["", "hmac-sha256:ab"])}
        encoded = {"inputs": canonical_bytes(row["inputs"]),
                   "output": canonical_bytes(row["output"])}
        assert content_digest(salt, row, encoded) == content_digest(salt, row)
        assert canonical_object({k: canonical_bytes(v) for k, v in row.items()}) \
            == canonical_json(row)
    with pytest.raises(ValueError):
        canonical_object({"é": b"1"})
