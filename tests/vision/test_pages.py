"""The vision pages: upload, every box shown, a supervisor edits and approves, export; the
identification request refused in both languages."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.helpers import login


def test_upload_review_and_export_in_the_browser_flow(client: TestClient, users: dict,
                                                      face_png: bytes) -> None:
    csrf = login(client, "v-officer")
    response = client.post("/vision/redact", data={"csrf_token": csrf, "purpose": "disclosure"},
                           files={"file": ("scene.png", face_png, "image/png")},
                           follow_redirects=False)
    assert response.status_code == 303, response.text
    item_url = response.headers["location"]
    page = client.get(item_url)
    assert page.status_code == 200 and 'data-testid="redacted-image"' in page.text
    assert "<td>face</td>" in page.text and 'data-testid="edit-boxes"' not in page.text
    bad = client.post("/vision/redact", data={"csrf_token": csrf},
                      files={"file": ("x.png", b"not an image", "image/png")})
    assert bad.status_code == 422 and "not a readable image" in bad.text
    client.post("/logout", data={"csrf_token": csrf})

    csrf = login(client, "v-supervisor")
    page = client.get(item_url)
    assert 'data-testid="edit-boxes"' in page.text
    edited = client.post(f"{item_url}/boxes", data={
        "csrf_token": csrf, "boxes": "75,20,80,80,face\n10,10,50,20,plate", "note": "plate"},
        follow_redirects=False)
    assert edited.status_code == 303
    assert client.post(f"{item_url}/decision", data={"csrf_token": csrf, "action": "approve"},
                       follow_redirects=False).status_code == 303
    page = client.get(item_url)
    assert "approved" in page.text and "drawn by the reviewer" in page.text
    item_id = item_url.rsplit("/", 1)[1]
    export = client.post(f"/api/v1/vision/items/{item_id}/export", data={"csrf_token": csrf})
    assert export.status_code == 200 and export.content.startswith(b"\x89PNG")


def test_identification_page_is_refused_in_both_languages(client: TestClient,
                                                          users: dict) -> None:
    csrf = login(client, "v-admin")
    response = client.post("/vision/identify", data={"csrf_token": csrf, "what": "identify"})
    assert response.status_code == 403
    assert "does not identify people" in response.text and "布控名单" in response.text
