"""Message: a translatable error parameter with its own parameters."""

from __future__ import annotations

import pickle

from accord.core.errors import ValidationFailed
from accord.core.i18n import M_, Message, set_language, translate

# Msgids that the zh_Hans catalog translates (the catalog test keeps them there).
LIMIT = "query: at most 200 characters"
NESTED = "Invalid input: %(detail)s"


def test_str_is_english_with_params_filled_in_whatever_the_language() -> None:
    set_language("zh_Hans")
    message = M_("at most %(limit)d persons per incident, not %(given)r", limit=8, given="9")
    assert str(message) == "at most 8 persons per incident, not '9'"
    error = ValidationFailed(detail=message)
    assert str(error) == "Invalid input: at most 8 persons per incident, not '9'"
    assert error.params == {"detail": message}


def test_translated_follows_the_current_language_and_keeps_plain_params() -> None:
    message = M_(NESTED, detail=M_(LIMIT))
    set_language("zh_Hans")
    assert message.translated() == "输入无效：查询：最多 200 个字符"
    assert translate(NESTED, {"detail": "plain text"}) == "输入无效：plain text"
    assert translate(NESTED, {"detail": M_(LIMIT)}) == "输入无效：查询：最多 200 个字符"
    set_language("en")
    assert message.translated() == "Invalid input: query: at most 200 characters"
    set_language("zh_Hans")


def test_a_message_without_params_is_not_interpolated() -> None:
    assert str(M_("100% sure")) == "100% sure"
    assert M_("100% sure").translated() == "100% sure"  # unknown msgid: kept as written


def test_template_shows_a_message_translated_and_escaped() -> None:
    from accord.web.templating import environment

    set_language("zh_Hans")
    page = environment.from_string("{{ _(m, **p) }}|{{ d }}").render(
        m=NESTED, p={"detail": M_(LIMIT)}, d=M_("<b>%(x)s</b>", x="&"))
    assert page == "输入无效：查询：最多 200 个字符|&lt;b&gt;&amp;&lt;/b&gt;"


def test_an_error_with_a_message_survives_pickling() -> None:
    """Model subprocesses send Accord errors back pickled (core.gateway.isolation)."""
    error = ValidationFailed(detail=M_("at most %(limit)d", limit=3))
    copy = pickle.loads(pickle.dumps(error))  # noqa: S301 (round trip of our own object)
    assert copy.params == {"detail": Message("at most %(limit)d", {"limit": 3})}
    assert str(copy) == "Invalid input: at most 3"


def test_a_message_with_a_context_is_translated_in_that_context() -> None:
    """Case forms name fields by their id in English, by their label in Chinese."""
    field = Message("station", context="form field")
    set_language("zh_Hans")
    assert field.translated() == "派出所"
    assert str(field) == "station"
    assert str(M_("%(field)s: required", field=field)) == "station: required"
