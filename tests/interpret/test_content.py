"""Content as data: the shipped forms and notices, and the loader's validation errors."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from accord.interpret.library import (
    CONTENT_DIR,
    LANGUAGES,
    STATUSES,
    ContentError,
    Text,
    load_library,
)

EXPECTED_LANGUAGES = {"zh", "en", "ru", "ja", "ko", "fr", "es", "de", "ar", "pt", "vi", "th"}
EXPECTED_FORMS = {"lost-passport", "theft-fraud", "traffic-accident", "dispute",
                  "accommodation-registration", "detention"}
EXPECTED_NOTICES = {"rights-questioning", "consular-notification", "interpreter",
                    "registration-duty", "fines", "complaints"}


@pytest.fixture(scope="module")
def library():  # type: ignore[no-untyped-def]
    return load_library()


@pytest.fixture
def content(tmp_path: Path) -> Path:
    """A writable copy of the shipped content, to break on purpose."""
    target = tmp_path / "content"
    shutil.copytree(CONTENT_DIR, target)
    return target


def _edit(path: Path, change) -> None:  # type: ignore[no-untyped-def]
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def _all_texts(library) -> list[tuple[str, Text]]:  # type: ignore[no-untyped-def]
    found = []
    for form in library.forms.values():
        found += [(form.file, text) for text in form.texts()]
    for notice in library.notices.values():
        found += [(notice.file, text) for text in notice.texts()]
    found += [("ui.yaml", text) for text in library.ui.values()]
    return found


# -- the shipped content -------------------------------------------------------------------------
def test_the_twelve_languages_are_the_ones_promised() -> None:
    assert set(LANGUAGES) == EXPECTED_LANGUAGES
    assert [code for code, lang in LANGUAGES.items() if lang.rtl] == ["ar"]


def test_all_case_types_and_notices_ship(library) -> None:  # type: ignore[no-untyped-def]
    assert set(library.forms) == EXPECTED_FORMS
    assert set(library.notices) == EXPECTED_NOTICES
    assert "lost-passport" in {form.id for form in library.public_forms()}
    assert "detention" not in {form.id for form in library.public_forms()}


def test_every_text_is_in_all_twelve_languages(library) -> None:  # type: ignore[no-untyped-def]
    for file, text in _all_texts(library):
        assert set(text.values) == EXPECTED_LANGUAGES, file
        for lang, translation in text.values.items():
            assert translation.text.strip(), (file, lang)


def test_every_question_and_choice_has_a_chinese_label(library) -> None:  # type: ignore[no-untyped-def]
    for form in library.forms.values():
        assert form.title.zh and form.intro.zh
        for question in form.questions:
            assert any("\u4e00" <= ch <= "\u9fff" for ch in question.label.zh), \
                (form.id, question.id)
            for choice in question.choices:
                assert any("\u4e00" <= ch <= "\u9fff" for ch in choice.label.zh), \
                    (form.id, question.id, choice.id)


def test_forms_use_structured_answers(library) -> None:  # type: ignore[no-untyped-def]
    """Most answers need no translation: free text is the exception, not the rule."""
    for form in library.forms.values():
        kinds = [q.type for q in form.questions]
        assert kinds.count("text") <= len(kinds) // 3, form.id
    lost = library.form("lost-passport")
    assert {"choice", "country", "date", "time", "location", "document", "phone", "name",
            "text"} <= {q.type for q in lost.questions}
    assert "number" in {q.type for q in library.form("theft-fraud").questions}


def test_statuses_are_truthful_nothing_is_verified(library) -> None:  # type: ignore[no-untyped-def]
    """Everything shipped was drafted by the maintainers; nothing claims verification."""
    for file, text in _all_texts(library):
        for lang, translation in text.values.items():
            assert translation.status in STATUSES
            assert translation.status == "maintainer-draft", (file, lang)
    for notice in library.notices.values():
        assert not any(notice.verified(lang) for lang in LANGUAGES)


def test_notices_do_not_cite_article_numbers(library) -> None:  # type: ignore[no-untyped-def]
    """Notices cite law as "under Chinese law", never by article number we cannot vouch for."""
    for notice in library.notices.values():
        for text in notice.texts():
            english = text("en").lower()
            assert "article" not in english, notice.id
            assert "第" not in text.zh or "条" not in text.zh, notice.id


# -- validation errors ---------------------------------------------------------------------------
def test_missing_language_names_file_and_field(content: Path) -> None:
    _edit(content / "forms" / "lost-passport.yaml",
          lambda d: d["questions"][0]["label"].pop("th"))
    with pytest.raises(ContentError) as caught:
        load_library(content)
    message = str(caught.value)
    assert "forms/lost-passport.yaml" in message
    assert "questions[0] (what_happened).label" in message
    assert "missing language 'th'" in message


def test_question_without_chinese_label_is_rejected(content: Path) -> None:
    _edit(content / "forms" / "dispute.yaml",
          lambda d: d["questions"][0]["label"].pop("zh"))
    with pytest.raises(ContentError) as caught:
        load_library(content)
    assert caught.value.file == "forms/dispute.yaml"
    assert caught.value.where == "questions[0] (dispute_kind).label"
    assert "missing language 'zh'" in str(caught.value) and "Chinese" in str(caught.value)


def test_choice_without_chinese_label_is_rejected(content: Path) -> None:
    _edit(content / "forms" / "detention.yaml",
          lambda d: d["questions"][4]["choices"][1]["label"].pop("zh"))
    with pytest.raises(ContentError, match=r"detention\.yaml: questions\[4\] \(understands\)"
                                           r"\.choices\[1\]\.label: missing language 'zh'"):
        load_library(content)


def test_question_without_label_is_rejected(content: Path) -> None:
    _edit(content / "forms" / "dispute.yaml", lambda d: d["questions"][0].pop("label"))
    with pytest.raises(ContentError, match=r"dispute\.yaml: .*label: missing"):
        load_library(content)


def test_unknown_status_names_file_and_field(content: Path) -> None:
    def change(data: dict) -> None:  # type: ignore[type-arg]
        data["translations"]["ar"]["status"] = "approved"

    _edit(content / "notices" / "fines.yaml", change)
    with pytest.raises(ContentError) as caught:
        load_library(content)
    assert caught.value.file == "notices/fines.yaml"
    assert caught.value.where == "translations.ar.status"
    assert "unknown status 'approved'" in str(caught.value)


def test_unknown_status_on_a_single_text_is_rejected(content: Path) -> None:
    def change(data: dict) -> None:  # type: ignore[type-arg]
        data["title"]["ko"] = {"text": data["title"]["ko"], "status": "checked"}

    _edit(content / "notices" / "interpreter.yaml", change)
    with pytest.raises(ContentError, match=r"interpreter\.yaml: title\.ko\.status: unknown "
                                           r"status 'checked'"):
        load_library(content)


def test_verified_needs_translator_and_date(content: Path) -> None:
    def change(data: dict) -> None:  # type: ignore[type-arg]
        data["translations"]["fr"] = {"status": "verified", "date": "2026-11-01"}

    _edit(content / "notices" / "fines.yaml", change)
    with pytest.raises(ContentError, match=r"translations\.fr\.translator: a verified text "
                                           r"needs the translator's name"):
        load_library(content)

    def change_date(data: dict) -> None:  # type: ignore[type-arg]
        data["translations"]["fr"] = {"status": "verified", "translator": "M. Dupont"}

    _edit(content / "notices" / "fines.yaml", change_date)
    with pytest.raises(ContentError, match=r"translations\.fr\.date"):
        load_library(content)


def test_file_missing_a_language_in_its_statuses(content: Path) -> None:
    _edit(content / "forms" / "theft-fraud.yaml", lambda d: d["translations"].pop("vi"))
    with pytest.raises(ContentError, match=r"theft-fraud\.yaml: translations: missing "
                                           r"language 'vi'"):
        load_library(content)


def test_unknown_type_field_and_bank_question(content: Path) -> None:
    path = content / "forms" / "dispute.yaml"
    original = path.read_text(encoding="utf-8")
    _edit(path, lambda d: d["questions"][0].update(type="essay"))
    with pytest.raises(ContentError, match=r"dispute_kind\)\.type: unknown type 'essay'"):
        load_library(content)
    path.write_text(original, encoding="utf-8")
    _edit(path, lambda d: d["questions"][0].update(requird=True))
    with pytest.raises(ContentError, match=r"questions\[0\]\.requird: unknown field"):
        load_library(content)
    path.write_text(original, encoding="utf-8")
    _edit(path, lambda d: d["questions"].append({"use": "shoe_size"}))
    with pytest.raises(ContentError, match=r"no question 'shoe_size' in the question bank"):
        load_library(content)


def test_placeholders_must_match_across_languages(content: Path) -> None:
    def change(data: dict) -> None:  # type: ignore[type-arg]
        data["texts"]["error_too_long"]["de"] = "Zu lang: höchstens {maximum} Zeichen."

    _edit(content / "ui.yaml", change)
    with pytest.raises(ContentError, match=r"ui\.yaml: texts\.error_too_long: placeholders "
                                           r"differ"):
        load_library(content)


def test_a_verified_notice_is_recognised(content: Path) -> None:
    def change(data: dict) -> None:  # type: ignore[type-arg]
        data["translations"]["es"] = {"status": "verified", "translator": "Ana Ruiz",
                                      "date": "2026-11-20"}
        data["translations"]["zh"] = {"status": "verified", "translator": "王芳",
                                      "date": "2026-11-20"}

    _edit(content / "notices" / "interpreter.yaml", change)
    library = load_library(content)
    notice = library.notice("interpreter")
    assert notice.verified("es") and notice.verified("zh")
    assert not notice.verified("fr")
    assert notice.title.get("es").translator == "Ana Ruiz"


def test_arabic_dates_and_signed_numbers_are_isolated(library) -> None:  # type: ignore[no-untyped-def]
    """In right-to-left text "2026-03-28" displays as "28-03-2026" unless isolated (U+2066…2069)."""
    import re

    pattern = re.compile(r"-?\d+(?:-\d+)+|-\d+|\{(?:earliest|date)\}")
    for file, text in _all_texts(library):
        arabic = text("ar")
        for match in pattern.finditer(arabic):
            before, after = arabic[:match.start()], arabic[match.end():]
            assert before.endswith("\u2066") and after.startswith("\u2069"), (file, arabic)
