"""The translation page (original, translation, back-translation, engine, measured quality, the
human path) and the availability table, through the real app and the governed gateway."""

from __future__ import annotations

import html

from fastapi.testclient import TestClient

from accord.core.roles import Role
from tests.helpers import login


def _form(csrf: str, text: str, source: str, target: str) -> dict[str, str]:
    return {"csrf_token": csrf, "text": text, "source": source, "target": target,
            "purpose": "victim-assistance", "legal_basis": "police-law-art-2"}


def test_spanish_to_english_shows_translation_back_translation_and_quality(
        client: TestClient, make_user) -> None:  # type: ignore[no-untyped-def]
    make_user("tr.officer", Role.OFFICER)
    csrf = login(client, "tr.officer")
    page = client.get("/interpret/translate")
    assert page.status_code == 200 and 'href="/interpret/translate"' in page.text
    done = client.post("/interpret/translate",
                       data=_form(csrf, "Me robaron el pasaporte.", "es", "en"))
    assert done.status_code == 200, done.text
    body = html.unescape(done.text)
    assert 'data-testid="translation"' in body and "passport" in body.lower()
    assert 'data-testid="back-translation"' in body and "pasaporte" in body
    assert "Apertium spa-eng" in body and "chrF2 46.3" in body
    assert "score_route" in body and "2026-11-23" in body
    assert 'data-testid="advisory"' not in body
    assert 'data-testid="ledger-seq"' in body


def test_pair_without_a_model_points_to_an_interpreter_and_glosses_chinese(
        client: TestClient, make_user) -> None:  # type: ignore[no-untyped-def]
    make_user("tr.interp", Role.INTERPRETER)
    csrf = login(client, "tr.interp")
    done = client.post("/interpret/translate",
                       data=_form(csrf, "我的护照被偷了", "zh", "en"))
    assert done.status_code == 200, done.text
    body = html.unescape(done.text)
    assert "No model — request an interpreter." in body
    assert "/interpreters/requests/new?language=en" in body
    assert 'data-testid="translation"' not in body
    assert "Glossary — word-level help, not a translation" in body
    assert "护照" in body and "passport" in body and "CC BY-SA 4.0" in body


def test_bad_input_is_a_4xx_with_the_problem_named(
        client: TestClient, make_user) -> None:  # type: ignore[no-untyped-def]
    make_user("tr.officer2", Role.OFFICER)
    csrf = login(client, "tr.officer2")
    empty = client.post("/interpret/translate", data=_form(csrf, "  ", "es", "en"))
    assert empty.status_code == 422 and "text: required" in html.unescape(empty.text)
    unknown = client.post("/interpret/translate", data=_form(csrf, "Hola", "xx", "en"))
    assert unknown.status_code == 422 and "source: one of" in html.unescape(unknown.text)
    same = client.post("/interpret/translate", data=_form(csrf, "Hola", "es", "es"))
    assert same.status_code == 422 and "both 'es'" in html.unescape(same.text)
    no_purpose = client.post("/interpret/translate",
                             data={**_form(csrf, "Hola", "es", "en"), "purpose": ""})
    assert no_purpose.status_code == 422


def test_availability_table_lists_every_content_pair(
        client: TestClient, make_user) -> None:  # type: ignore[no-untyped-def]
    make_user("tr.super", Role.SUPERVISOR)
    login(client, "tr.super")
    page = client.get("/interpret/pairs")
    assert page.status_code == 200
    body = html.unescape(page.text)
    assert body.count('data-testid="pair-') == 12 * 11
    es_en = body[body.index('data-testid="pair-es-en"'):]
    es_en = es_en[:es_en.index("</tr>")]
    assert "Apertium spa-eng" in es_en and "46.3" in es_en and "offered" in es_en
    zh_en = body[body.index('data-testid="pair-zh-en"'):]
    assert "no model — interpreter" in zh_en[:zh_en.index("</tr>")]
    en_fr = body[body.index('data-testid="pair-en-fr"'):]
    assert "through es" in en_fr[:en_fr.index("</tr>")]
    assert "No model packs are installed" in body
    assert "FLORES-200" in body and "CC-BY-SA 4.0" in body and "CC-CEDICT" in body


def test_roles_without_interpretation_work_are_refused(
        client: TestClient, make_user) -> None:  # type: ignore[no-untyped-def]
    make_user("tr.analyst", Role.ANALYST)
    login(client, "tr.analyst")
    assert client.get("/interpret/pairs").status_code == 403
    assert client.get("/interpret/translate").status_code == 403
