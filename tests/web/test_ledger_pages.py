"""The ledger on the web: public checkpoint and keys, the explorer, entry pages with proofs,
and the DPO acting as oversight witness — including a refusal after the ledger was rewritten."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import update

from accord.assembly import create_app
from accord.core.gateway.models import LedgerEntry
from accord.core.gateway.service import Caller, GatewayRequest
from accord.core.governance import get_governance
from accord.core.ledger.merkle import leaf_hash, verify_inclusion
from accord.core.ledger.note import (
    CosignatureVerifier,
    NoteVerifier,
    open_checkpoint,
    parse_note,
    verify_cosignature,
)
from accord.core.roles import Role
from accord.web.routes import ledger
from tests.helpers import login


def _app() -> FastAPI:
    """The app with the ledger routers, whether or not create_app() includes them yet."""
    app = create_app()
    if not any(getattr(route, "path", "") == "/ledger" for route in app.routes):
        app.include_router(ledger.public_router)
        app.include_router(ledger.router)
    return app


@pytest.fixture
def web(accord_env: dict[str, str]) -> Iterator[TestClient]:
    with TestClient(_app(), base_url="http://testserver") as test_client:
        test_client.headers["Accept-Language"] = "en"
        yield test_client


def _langid(user, text: str = "Bonjour, j'ai perdu mon passeport") -> int:  # type: ignore[no-untyped-def]
    result = get_governance().gateway.invoke(
        Caller(user.id, user.username, frozenset({"officer"})),
        GatewayRequest("interpret.langid", "victim-assistance", "police-law-art-2",
                       {"text": text}),
    )
    return result.ledger_seq


@pytest.fixture
def officer(make_user):  # type: ignore[no-untyped-def]
    return make_user("li.wei", Role.OFFICER)


@pytest.fixture
def entries(officer, make_user) -> list[int]:  # type: ignore[no-untyped-def]
    """Three decisions and a stop-control pair in the ledger, all through the real gateway."""
    seqs = [_langid(officer), _langid(officer, "Me robaron el pasaporte"),
            _langid(officer, "I lost my passport in the metro")]
    supervisor = make_user("chen.jie", Role.SUPERVISOR)
    boss = Caller(supervisor.id, supervisor.username, frozenset({"supervisor"}))
    gateway = get_governance().gateway
    seqs.append(gateway.set_suspended("interpret.langid", True, boss, "misidentifies Uyghur"))
    seqs.append(gateway.set_suspended("interpret.langid", False, boss, "model replaced"))
    return seqs


def _keys(web: TestClient) -> tuple[NoteVerifier, CosignatureVerifier]:
    response = web.get("/ledger/public-key")
    assert response.status_code == 200
    log_line, witness_line = response.text.splitlines()
    assert witness_line.startswith("witness ")
    return NoteVerifier(log_line), CosignatureVerifier(witness_line.removeprefix("witness "))


# -- public ----------------------------------------------------------------------------------
def test_public_checkpoint_verifies_with_the_public_key(web, officer, entries) -> None:
    response = web.get("/ledger/checkpoint")  # no log-in
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    log_key, _ = _keys(web)
    checkpoint = open_checkpoint(response.text, log_key)
    assert checkpoint.size == len(entries)
    assert checkpoint.origin == get_governance().ledger.origin
    # A checkpoint is signed for the grown ledger on the next request.
    _langid(officer)
    assert open_checkpoint(web.get("/ledger/checkpoint").text, log_key).size == len(entries) + 1


def test_public_key_lists_the_log_key_and_the_witness_key(web, accord_env) -> None:
    log_key, witness_key = _keys(web)
    governance = get_governance()
    assert log_key.key_string() == governance.ledger.public_key
    assert witness_key.key_string() == governance.witness_signer().verifier_key()
    assert log_key.key_string() != witness_key.key_string()


def test_public_checkpoint_of_an_empty_ledger_is_404_with_a_message(web) -> None:
    response = web.get("/ledger/checkpoint")
    assert response.status_code == 404
    assert "no checkpoint has been signed yet" in response.text


def test_proofs_are_not_public(web, entries) -> None:
    response = web.get(f"/ledger/entries/{entries[0]}/proof", follow_redirects=False)
    assert response.status_code == 303 and "/login" in response.headers["location"]
    api = web.get(f"/ledger/entries/{entries[0]}/proof",
                  headers={"Accept": "application/json"})
    assert api.status_code == 401


# -- access ----------------------------------------------------------------------------------
def test_officer_is_refused_and_anonymous_sent_to_log_in(web, officer) -> None:
    anonymous = web.get("/ledger", follow_redirects=False)
    assert anonymous.status_code == 303
    assert anonymous.headers["location"] == "/login?next=/ledger"
    login(web, "li.wei")
    assert web.get("/ledger").status_code == 403
    assert web.get("/ledger/entries/0").status_code == 403


@pytest.mark.parametrize("role", [Role.AUDITOR, Role.DPO, Role.SUPERVISOR, Role.ADMIN])
def test_oversight_roles_open_the_explorer(web, make_user, entries, role) -> None:
    make_user("viewer", role)
    login(web, "viewer")
    page = web.get("/ledger")
    assert page.status_code == 200
    assert 'data-testid="tree-size">5<' in page.text
    assert page.text.count('data-testid="entry-link"') == len(entries)


# -- the explorer ----------------------------------------------------------------------------
def _listed(page_text: str) -> list[int]:
    return [int(s) for s in re.findall(r'<tr data-seq="(\d+)"', page_text)]


def test_auditor_searches_by_kind_capability_actor_and_range(web, make_user, entries,
                                                              officer) -> None:
    make_user("audit", Role.AUDITOR)
    login(web, "audit")
    page = web.get("/ledger")
    assert _listed(page.text) == sorted(entries, reverse=True)
    assert "Matching entries: 5" in page.text
    checkpoint = get_governance().ledger.latest_checkpoint()
    assert f'data-testid="checkpoint-root">{checkpoint.root_hash}<' in page.text

    decisions = web.get("/ledger", params={"kind": "decision"})
    assert _listed(decisions.text) == [2, 1, 0]
    assert decisions.text.count(">allow<") == 3
    suspended = web.get("/ledger", params={"kind": "capability-suspended"})
    assert _listed(suspended.text) == [3]
    by_capability = web.get("/ledger", params={"capability": "interpret.langid"})
    assert _listed(by_capability.text) == [4, 3, 2, 1, 0]
    assert _listed(web.get("/ledger", params={"capability": "interpret.translate"}).text) == []
    by_actor = web.get("/ledger", params={"actor": f"user:{officer.id}"})
    assert _listed(by_actor.text) == [2, 1, 0]
    assert _listed(web.get("/ledger", params={"actor": str(officer.id)}).text) == [2, 1, 0]
    in_range = web.get("/ledger", params={"seq_from": "1", "seq_to": "3", "kind": "decision"})
    assert _listed(in_range.text) == [2, 1]


def test_search_by_date_and_bad_input(web, make_user, entries) -> None:
    from datetime import UTC, datetime, timedelta

    from accord.web.templating import station_zone

    make_user("audit", Role.AUDITOR)
    login(web, "audit")
    # The dates are the station's calendar days, as every time on the page is shown: from
    # 16:00 UTC on, a station at +08:00 is already on the next day.
    today = datetime.now(UTC).astimezone(station_zone()).date()
    assert len(_listed(web.get("/ledger", params={"date_from": today.isoformat(),
                                                   "date_to": today.isoformat()}).text)) == 5
    tomorrow = (today + timedelta(days=1)).isoformat()
    assert _listed(web.get("/ledger", params={"date_from": tomorrow}).text) == []
    yesterday = (today - timedelta(days=1)).isoformat()
    assert _listed(web.get("/ledger", params={"date_to": yesterday}).text) == []
    bad = web.get("/ledger", params={"kind": "everything", "seq_from": "-1",
                                     "date_to": "31/12/2026"})
    assert bad.status_code == 422
    assert "Unknown entry kind" in bad.text and "YYYY-MM-DD" in bad.text
    assert "From entry: enter a whole number" in bad.text
    assert _listed(bad.text) == []


def test_explorer_pages_through_many_entries(web, make_user, officer) -> None:
    ledger_service = get_governance().ledger
    for number in range(ledger.PAGE_SIZE + 3):
        ledger_service.append_now("review", {"actor": f"user:{officer.id}", "n": number})
    make_user("audit", Role.AUDITOR)
    login(web, "audit")
    first = web.get("/ledger", params={"kind": "review"})
    assert len(_listed(first.text)) == ledger.PAGE_SIZE and _listed(first.text)[0] == 52
    assert "Page 1 of 2" in first.text
    second = web.get("/ledger", params={"kind": "review", "page": "2"})
    assert _listed(second.text) == [2, 1, 0]
    assert 'href="/ledger?kind=review"' in second.text  # back to page 1, filter kept


# -- entries and proofs ----------------------------------------------------------------------
def test_entry_page_shows_canonical_json_and_a_proof_that_verifies(web, make_user,
                                                                   entries) -> None:
    make_user("audit", Role.AUDITOR)
    login(web, "audit")
    stored = get_governance().ledger.entry(1)
    page = web.get("/ledger/entries/1")
    assert page.status_code == 200
    assert f'data-testid="leaf-hash">{stored.leaf_hash}<' in page.text
    assert "&#34;kind&#34;: &#34;decision&#34;" in page.text  # pretty-printed, escaped
    assert "/static/js/ledger-proof.js" in page.text
    assert "Verify in this browser" in page.text
    assert 'data-testid="witness-verdict" data-outcome="none"' in page.text
    checkpoint = get_governance().ledger.latest_checkpoint()
    assert checkpoint.note.splitlines()[2] in page.text  # the signed note is shown

    response = web.get("/ledger/entries/1/proof")
    assert response.status_code == 200
    proof = response.json()
    assert proof["seq"] == 1 and proof["tree_size"] == len(entries)
    log_key, _ = _keys(web)
    signed = open_checkpoint(proof["checkpoint"], log_key)
    assert signed.size == proof["tree_size"] and signed.root_hash.hex() == proof["root_hash"]
    leaf = leaf_hash(proof["body"].encode("utf-8"))
    assert leaf.hex() == proof["leaf_hash"] == stored.leaf_hash
    assert json.loads(proof["body"])["seq"] == 1
    hashes = [bytes.fromhex(h) for h in proof["proof"]]
    assert verify_inclusion(leaf, 1, proof["tree_size"], hashes, signed.root_hash)
    assert not verify_inclusion(leaf, 2, proof["tree_size"], hashes, signed.root_hash)


def test_every_entry_has_a_valid_proof(web, make_user, entries) -> None:
    make_user("audit", Role.AUDITOR)
    login(web, "audit")
    log_key, _ = _keys(web)
    for seq in entries:
        proof = web.get(f"/ledger/entries/{seq}/proof").json()
        root = open_checkpoint(proof["checkpoint"], log_key).root_hash
        leaf = leaf_hash(proof["body"].encode("utf-8"))
        assert verify_inclusion(leaf, seq, proof["tree_size"],
                                [bytes.fromhex(h) for h in proof["proof"]], root), seq


def test_unknown_entry_is_404_and_non_integer_is_422(web, make_user, entries) -> None:
    make_user("audit", Role.AUDITOR)
    login(web, "audit")
    page = web.get("/ledger/entries/99")
    assert page.status_code == 404 and "Ledger entry 99 does not exist." in page.text
    proof = web.get("/ledger/entries/99/proof")
    assert proof.status_code == 404
    assert proof.json() == {"detail": "Ledger entry 99 does not exist."}
    assert web.get("/ledger/entries/-1").status_code == 404
    assert web.get("/ledger/entries/abc").status_code == 422
    assert web.get("/ledger/entries/1.5/proof").status_code == 422


# -- the oversight witness -------------------------------------------------------------------
def _witness(web: TestClient, csrf: str):  # type: ignore[no-untyped-def]
    return web.post("/ledger/witness", data={"csrf_token": csrf})


def test_dpo_cosigns_the_latest_checkpoint(web, make_user, entries) -> None:
    make_user("dpo", Role.DPO)
    csrf = login(web, "dpo")
    before = web.get("/ledger/checkpoint").text
    assert len(parse_note(before).signatures) == 1
    response = _witness(web, csrf)
    assert response.status_code == 200
    assert 'data-outcome="cosigned"' in response.text
    assert "cosigned the checkpoint of size 5" in response.text
    assert 'data-testid="checkpoint-cosignatures">1<' in response.text

    note = web.get("/ledger/checkpoint").text
    signature_lines = [line for line in note.splitlines() if line.startswith("\u2014 ")]
    assert len(signature_lines) == 2
    log_key, witness_key = _keys(web)
    assert open_checkpoint(note, log_key).size == 5
    assert verify_cosignature(note, witness_key) > 0
    assert 'data-testid="witness-verdict" data-outcome="cosigned"' in web.get(
        "/ledger/entries/2").text


def test_witness_requires_dpo_and_a_csrf_token(web, make_user, entries) -> None:
    make_user("audit", Role.AUDITOR)
    make_user("dpo", Role.DPO)
    csrf = login(web, "audit")
    refused = _witness(web, csrf)
    assert refused.status_code == 403
    assert "Check and cosign" not in web.get("/ledger").text
    web.post("/logout", data={"csrf_token": csrf})
    csrf = login(web, "dpo")
    assert web.post("/ledger/witness", data={"csrf_token": "forged"}).status_code == 403
    assert web.post("/ledger/witness").status_code == 403
    note = web.get("/ledger/checkpoint").text
    assert len(parse_note(note).signatures) == 1  # nothing was cosigned
    assert "The witness has not acted yet." in web.get("/ledger").text


def test_witness_refuses_a_rewritten_ledger_and_the_refusal_stays_visible(
        web, make_user, officer, entries, database) -> None:
    make_user("dpo", Role.DPO)
    csrf = login(web, "dpo")
    assert 'data-outcome="cosigned"' in _witness(web, csrf).text

    # Someone with database access rewrites entry 1 (body and leaf hash, so it looks tidy).
    entry = get_governance().ledger.entry(1)
    forged = entry.body.replace('"victim-assistance"', '"crime-prevention"')
    assert forged != entry.body
    with database.session() as session:
        session.execute(update(LedgerEntry).where(LedgerEntry.seq == 1).values(
            body=forged, leaf_hash=leaf_hash(forged.encode("utf-8")).hex()))
    # The server restarts (its in-memory tree is rebuilt from the database) and work goes on.
    get_governance().ledger.reset_tree()
    _langid(officer)
    _langid(officer, "Guten Tag")

    response = _witness(web, csrf)
    assert response.status_code == 200
    assert 'data-outcome="refused"' in response.text
    assert "is not consistent with checkpoint 5" in response.text
    page = web.get("/ledger")
    events = page.text[page.text.index('data-testid="witness-events"'):]
    assert events.index('data-outcome="refused"') < events.index('data-outcome="cosigned"')
    assert "the ledger was rewritten" in events
    # The entry page warns that the checkpoint its proof rests on was refused.
    entry_page = web.get("/ledger/entries/1").text
    assert 'data-testid="witness-verdict" data-outcome="refused"' in entry_page
    assert "the ledger was rewritten" in entry_page
    # Nothing was cosigned: the new head carries only the log's signature.
    note = web.get("/ledger/checkpoint").text
    assert open_checkpoint(note, _keys(web)[0]).size == 7
    assert len(parse_note(note).signatures) == 1


def test_ledger_pages_in_chinese(web, make_user, entries) -> None:
    make_user("shen.jian", Role.AUDITOR, language="zh_Hans")
    login(web, "shen.jian")
    page = web.get("/ledger")
    assert page.status_code == 200 and 'lang="zh-Hans"' in page.text
    assert web.get("/ledger/entries/0").status_code == 200
