"""Slot hints of issue 22: weekdays (with the calendar), spatial relations and floors, vehicles,
roles, people (Russian, natasha), identifiers one character apart, and the rule languages.

Each slot kind has one test that fails when its rule is removed. Statements are in French,
Spanish and Russian where possible (no spaCy/jieba load); the sentence encoder loads once.
"""

from __future__ import annotations

import pytest

from accord.cases import hint_slots as rules
from accord.cases.inconsistency import compare
from accord.cases.nlp_capabilities import INCONSISTENCY_CAPABILITY


def _hints(a: str, b: str, lang: str) -> list[dict]:
    result = compare({"text_a": a, "language_a": lang, "text_b": b, "language_b": lang})
    assert result["comparable"]
    for hint in result["hints"]:  # every hint shows both passages and its kind, no score
        assert hint["kind"] in rules.ALL_KINDS
        assert a[hint["a"]["start"] : hint["a"]["end"]] == hint["a"]["text"]
        assert b[hint["b"]["start"] : hint["b"]["end"]] == hint["b"]["text"]
        assert hint["a"]["sentence"] and hint["b"]["sentence"]
        assert not any(k in hint for k in ("score", "credibility", "confidence"))
    return result["hints"]


def _kinds(a: str, b: str, lang: str) -> list[str]:
    return [h["kind"] for h in _hints(a, b, lang)]


# -- weekdays --
def test_weekday_names_in_each_rule_language() -> None:
    assert [e["value"] for e in rules.weekdays("周二晚上，礼拜天和星期三", "zh")] == ["2", "7", "3"]
    assert [e["value"] for e in rules.weekdays("во вторник и в среду", "ru")] == ["2", "3"]
    assert [e["value"] for e in rules.weekdays("el miércoles", "es")] == ["3"]
    assert rules.weekdays("the station", "en") == []


def test_two_weekdays_for_the_same_event_are_a_hint() -> None:
    assert _kinds("On m'a volé mon sac mardi soir.", "On m'a volé mon sac mercredi soir.",
                  "fr") == ["weekday"]
    assert _kinds("On m'a volé mon sac mardi soir.", "Mardi soir, on m'a volé mon sac.",
                  "fr") == []


def test_a_weekday_is_checked_against_a_date_by_the_calendar() -> None:
    assert rules.weekday_of("2026-11-17") == "2"  # a Tuesday
    assert rules.weekday_of("--11-17") is None  # no year: no calendar
    a = "El robo ocurrió el 17 de noviembre de 2026."
    hints = _hints(a, "El robo ocurrió un viernes.", "es")
    assert [h["kind"] for h in hints] == ["weekday"]
    assert "Tuesday" in hints[0]["explanation"] and "Friday" in hints[0]["explanation"]
    assert _kinds(a, "El robo ocurrió un martes.", "es") == []


# -- dates, times, counts, amounts, colours in the rule languages --
def test_russian_dates_and_hours_with_a_part_of_the_day() -> None:
    assert [e["value"] for e in rules.dates("3 ноября 2026 года", "ru")] == ["2026-11-03"]
    assert [e["value"] for e in rules.times("в 9 часов вечера", "ru")] == ["21:00"]
    assert _kinds("Драка произошла 3 ноября 2026 года.", "Драка произошла 5 ноября 2026 года.",
                  "ru") == ["date"]
    assert _kinds("Сигнализация сработала в 2 часа ночи.",
                  "Сигнализация сработала в 4 часа ночи.", "ru") == ["time"]


def test_counts_amounts_and_inflected_colours_in_french() -> None:
    assert _kinds("Trois hommes sont entrés.", "Cinq hommes sont entrés.", "fr") == ["quantity"]
    assert _kinds("Trois hommes sont entrés.", "3 hommes sont entrés.", "fr") == []
    assert _kinds("Il a pris 500 euros.", "Il a pris 800 euros.", "fr") == ["amount"]
    assert _kinds("Il portait une veste rouge.", "Il portait une veste bleue.", "fr") == [
        "colour"
    ]


# -- places: spatial relation, floor --
def test_inside_against_outside_at_the_same_place() -> None:
    a = "L'homme était à l'intérieur du restaurant quand il a crié."
    b = "L'homme était dehors, devant le restaurant, quand il a crié."
    hints = _hints(a, b, "fr")
    assert [(h["kind"], h["a"]["value"]) for h in hints] == [("place", "in")]
    assert hints[0]["b"]["value"] in ("out", "front")
    assert _kinds(a, "L'homme était à l'intérieur du restaurant, près du bar.", "fr") == []


def test_floors_and_a_negated_relation() -> None:
    assert _kinds("La discusión empezó en el segundo piso del hotel.",
                  "La discusión empezó en el quinto piso del hotel.", "es") == ["place"]
    assert [e["value"] for e in rules.relations("on the 2nd floor", "en")] == ["floor:2"]
    assert [e["value"] for e in rules.relations("in the boot, not under it", "en")] == []
    assert rules.relations_clash(["out"], ["front"]) is None  # outside, in front: both hold


def test_floors_are_compared_across_the_statement() -> None:
    # The two floor sentences are not paired by the encoder, yet name the same building.
    assert _kinds("Офис находится на третьем этаже. Я услышал грохот и побежал наверх.",
                  "Я работаю на четвёртом этаже. Услышал грохот и пошёл посмотреть.",
                  "ru") == ["place"]


def test_a_weekday_names_the_day_of_the_whole_account() -> None:
    assert _kinds("Era jueves. Salí tarde del trabajo y fui a la parada.",
                  "Ese viernes salí tarde del trabajo y fui a la parada.", "es") == ["weekday"]


# -- vehicles, roles, people --
def test_vehicles() -> None:
    assert _kinds("Se fueron en taxi.", "Se fueron en moto.", "es") == ["vehicle"]
    assert _kinds("Se fueron en taxi.", "Cogieron un taxi y se fueron.", "es") == []
    assert rules.vehicles_clash(["car"], ["taxi"]) is None  # a taxi is a car


def test_roles_of_whoever_did_it() -> None:
    assert _kinds("El conductor golpeó al ciclista y huyó.",
                  "El pasajero golpeó al ciclista y huyó.", "es") == ["role"]
    assert _kinds("El conductor golpeó al ciclista y huyó.",
                  "El ciclista fue golpeado por el conductor.", "es") == []


def test_people_named_in_russian_with_natasha() -> None:
    assert _kinds("Меня толкнул Иван Петров.", "Меня толкнул Сергей Смирнов.", "ru") == [
        "person"
    ]
    # Case endings are the same person.
    assert _kinds("Меня толкнул Иван Петров.", "Я видел, как Иван Петров толкнул меня.",
                  "ru") == []


def test_own_names_of_two_speakers_are_not_a_hint() -> None:
    assert _kinds("Меня зовут Иван Петров.", "Меня зовут Сергей Смирнов.", "ru") == []


# -- identifiers --
@pytest.mark.parametrize(
    ("a", "b", "near"),
    [
        ("E12345678", "E12345687", True),  # two neighbours swapped
        ("AB12CDE", "AB12CDF", True),  # one character
        ("13812345678", "1381234567", True),  # one dropped
        ("E12345678", "E12345678", False),
        ("E12345678", "E87654321", False),
    ],
)
def test_near_identical(a: str, b: str, near: bool) -> None:
    assert rules.near_identical(a, b) is near


def test_identifiers_one_character_apart_are_a_transcription_check() -> None:
    hints = _hints("La plaque de la voiture était AB-123-CD.",
                   "La plaque de la voiture était AB-132-CD.", "fr")
    assert [h["kind"] for h in hints] == ["transcription-check"]
    assert "transcription" in hints[0]["explanation"]
    assert "lie" not in hints[0]["explanation"]
    # The same number written another way, and numbers of two different things: no hint.
    assert _kinds("La plaque était AB-123-CD.", "La plaque était AB 123 CD.", "fr") == []
    assert _kinds("Mon numéro est 0612345678.", "Le numéro de mon frère est 0798765432.",
                  "fr") == []
    # Dates, times and sums of money are not identifiers.
    assert rules.identifiers("03.11.2026 21h00 15000 рублей, 2026 at 21:30") == []
    assert [e["value"] for e in rules.identifiers("车牌号是京A·12345。")] == ["京A12345"]
    # Russian plates: Cyrillic capitals read as the Latin ones they look like.
    assert [e["value"] for e in rules.identifiers("номер А123ВС77.")] == ["A123BC77"]
    assert rules.identifiers("В 2026 году") == []


# -- pairing: the encoder decides which sentences are compared --
def test_sentences_about_different_things_are_not_compared() -> None:
    a = "Ils sont partis en taxi."
    b = "Mon frère répare des motos le week-end."
    assert _kinds(a, b, "fr") == []


# -- per-language support, shown on the model card; supervisor review kept --
def test_support_table_and_card() -> None:
    assert "person" in rules.supported_kinds("ru")
    assert "person" not in rules.supported_kinds("fr")
    assert rules.supported_kinds("vi") == rules.LANGUAGE_INDEPENDENT
    card = " ".join(INCONSISTENCY_CAPABILITY.model.known_limitations)
    for lang in ("ru:", "fr:", "es:", "other interview languages:"):
        assert lang in card
    assert INCONSISTENCY_CAPABILITY.review_required
    assert INCONSISTENCY_CAPABILITY.review_role == "supervisor"


def test_a_language_without_word_lists_still_gets_identifiers_and_times() -> None:
    kinds = _kinds("Số hộ chiếu của tôi là B1234567. Lúc 21:00.",
                   "Số hộ chiếu của tôi là B1234576. Lúc 23:30.", "vi")
    assert sorted(kinds) == ["time", "transcription-check"]


# -- through the app: the officer's page and the supervisor's review queue --
def test_new_kinds_on_the_hints_page_and_in_review(  # type: ignore[no-untyped-def]
    client, make_user, database, accord_env, hints_cleared
) -> None:
    from pathlib import Path

    from accord.core.gateway.models import Review
    from accord.core.roles import Role
    from tests.cases.test_statement_pages import _case_with_statements, _count
    from tests.helpers import certify, login

    officer = make_user("officer-slots", Role.OFFICER)
    boss = make_user("boss-slots", Role.SUPERVISOR)
    certify(database, officer, boss)
    ref, _ids = _case_with_statements(
        database, Path(accord_env["ACCORD_STATE_DIR"]), officer.id,
        [("es", "El robo ocurrió el martes. Alquilé el coche con matrícula 1234 BCD."),
         ("es", "El robo ocurrió el miércoles. Alquilé el coche con matrícula 1243 BCD.")],
    )
    login(client, "officer-slots")
    page = client.get(f"/cases/{ref}/hints")
    assert page.status_code == 200, page.text
    assert 'data-kind="weekday"' in page.text and 'data-kind="transcription-check"' in page.text
    assert "Likely transcription difference — check" in page.text
    assert "<mark>1234 BCD</mark>" in page.text and "<mark>1243 BCD</mark>" in page.text
    assert _count(database, Review, capability_id="cases.inconsistency") == 1
    client.post("/logout", data={"csrf_token": ""})
    client.cookies.clear()
    login(client, "boss-slots")
    queue = client.get("/reviews")
    assert 'data-testid="review-hint" data-kind="transcription-check"' in queue.text
    assert "Most likely a transcription difference, not a contradiction" in queue.text
