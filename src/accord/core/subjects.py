"""Data subjects: who an AI decision or a stored record is about, as keyed digests.

A person is identified by the number of an identity document, or — when there is none — by
name, date of birth and nationality together. Accord never stores these in clear to link a
decision to a person: it stores a **subject key**, an HMAC (server secret) of the normalised
identifier, in ``decision_subjects``; the ledger never holds either. A rights request typed by
the DPO (or the requester) is turned into the same key, so "the AI decisions about me" can be
found without a searchable list of document numbers.

Normalisation, so that the same person gives the same key however the data was typed:

* **document number** — upper case, letters and digits only (``e 1234-5678`` = ``E12345678``);
* **name** — accents removed (NFKD), case folded, apostrophes dropped (``O'Neill`` = ``ONEILL``
  as in an MRZ), split on anything that is not a letter or digit (hyphens, commas, the MRZ's
  ``<``), words sorted: word order does not matter (``MARQUEZ PEREIRA, JOAO`` = ``João Márquez
  Pereira``);
* **date of birth** — ISO ``YYYY-MM-DD`` (a ``date`` or a string in that form);
* **nationality** — ISO 3166-1 alpha-3 as in the MRZ; alpha-2 (``ES``, as the interview forms
  store it) is converted, ``D`` (Germany in an MRZ) is ``DEU``.

A person key needs all three of name, date of birth and nationality: a name alone would join
strangers. Keys of the two kinds are domain-separated, so a document number can never collide
with a name.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

_APOSTROPHES = "'\u2019\u02bc`\u00b4"


@dataclass(frozen=True)
class Subject:
    """A person an AI decision concerns, in clear (only its keys are stored)."""

    document: str = ""
    name: str = ""
    birth_date: date | str | None = None
    nationality: str = ""

    def __bool__(self) -> bool:
        return bool(self.document or self.name)


def normalise_document_number(value: str) -> str:
    """Upper-case, letters and digits only: 'e 1234-5678' and 'E12345678' are the same."""
    return "".join(ch for ch in (value or "").upper() if ch.isalnum())


def normalise_name(name: str) -> str:
    """Case-, accent-, punctuation- and word-order-insensitive form of a person's name."""
    decomposed = unicodedata.normalize("NFKD", name or "")
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()
    bare = "".join(ch for ch in bare if ch not in _APOSTROPHES)
    words = [w for w in re.split(r"[\W_]+", bare) if w]
    return " ".join(sorted(words))


def normalise_birth_date(value: date | str | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        return value.isoformat()
    text = value.strip()
    try:
        return date.fromisoformat(text[:10]).isoformat()
    except ValueError:
        return ""


def normalise_nationality(value: str) -> str:
    code = "".join(ch for ch in (value or "").upper() if ch.isalpha())
    if code == "D":
        return "DEU"
    if len(code) == 2:
        import pycountry

        country = pycountry.countries.get(alpha_2=code)
        return country.alpha_3 if country is not None else ""
    return code if len(code) == 3 else ""


def subject_key(secret: bytes, document_number: str) -> str:
    """Keyed digest of a document number (normalised), or "" when there is none."""
    number = normalise_document_number(document_number)
    if not number:
        return ""
    return hmac.new(secret, b"subject:" + number.encode(), hashlib.sha256).hexdigest()


def person_key(secret: bytes, name: str, birth_date: date | str | None, nationality: str) -> str:
    """Keyed digest of normalised name + date of birth + nationality; "" unless all three."""
    parts = (normalise_name(name), normalise_birth_date(birth_date),
             normalise_nationality(nationality))
    if not all(parts):
        return ""
    return hmac.new(secret, b"subject-person:" + "\x1f".join(parts).encode(),
                    hashlib.sha256).hexdigest()


def subject_key_for(secret: bytes, *, document: str | None = None, name: str | None = None,
                    birth_date: date | str | None = None,
                    nationality: str | None = None) -> str:
    """The one key to look a person up by: the document's if a number is given, otherwise
    name + date of birth + nationality ("" when neither is complete)."""
    if document and normalise_document_number(document):
        return subject_key(secret, document)
    return person_key(secret, name or "", birth_date, nationality or "")


def subject_keys(secret: bytes, subjects: Iterable[Subject]) -> tuple[str, ...]:
    """Every key of the given persons, without repeats, in order: a person with both a document
    and full personal data gets both keys, so either kind of request finds them."""
    keys: list[str] = []
    for subject in subjects:
        if not subject:  # no document and no name: neither key exists (the common case)
            continue
        for key in (subject_key(secret, subject.document),
                    person_key(secret, subject.name, subject.birth_date, subject.nationality)):
            if key and key not in keys:
                keys.append(key)
    return tuple(keys)
