"""The officer's interview picker suggests the person's language through the gateway."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from accord.core.db import Database
from accord.core.gateway.models import Decision
from accord.core.roles import Role
from tests.helpers import login


def test_a_typed_sentence_suggests_a_language_for_the_pickers(
        client: TestClient, database: Database, make_user) -> None:  # type: ignore[no-untyped-def]
    make_user("picker.officer", Role.OFFICER)
    login(client, "picker.officer")
    page = client.get("/interviews")
    assert 'data-testid="detect-language"' in page.text
    csrf = page.text.split('name="csrf-token" content="')[1].split('"')[0]
    headers = {"X-CSRF-Token": csrf}

    spanish = client.post("/interviews/detect-language",
                          data={"text": "Me robaron el pasaporte en el metro esta mañana."},
                          headers=headers)
    assert spanish.status_code == 200
    assert "<code>es</code>" in spanish.text and 'data-testid="use-language"' in spanish.text

    # A language with no form content: the human path instead of a picker value.
    swahili = client.post("/interviews/detect-language",
                          data={"text": "Pasipoti yangu imeibiwa kwenye treni asubuhi hii."},
                          headers=headers)
    assert 'data-testid="no-content"' in swahili.text
    assert "/interpreters/requests/new" in swahili.text

    empty = client.post("/interviews/detect-language", data={"text": "  "}, headers=headers)
    assert 'data-testid="langid-error"' in empty.text and "text" in empty.text
    with database.session() as session:
        completed = session.scalar(select(func.count()).select_from(Decision)
                                   .where(Decision.capability_id == "interpret.langid"))
    assert completed == 2  # two governed calls; the empty text never reached the model
