"""Evidence files: the signed JSON, its offline check (any change fails), the printable page, the
public key, and what is kept of the providers' answers."""

from __future__ import annotations

import hashlib
import json
import re
from datetime import timedelta

import hypothesis
import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.cli import main
from app.lead.evidence_signing import EvidenceSignatureError, load_or_create, verify, verify_file
from app.runtime.accounts import add_agent
from investigations import provider_log
from investigations.types import utcnow
from tests.support.ledger import add_deposit
from tests.support.web import OURS, TIP, _lookup


@pytest.fixture
def key_path(app, tmp_path):
    path = tmp_path / "keys" / "evidence.pem"
    app.state.settings = app.state.settings.model_copy(update={"evidence_key_file": str(path)})
    return path


@pytest.fixture
def investigation(agent, chain, app, key_path):
    tx = chain.build_tx([(OURS, 1_500_000)], height=TIP - 2)
    with Session(app.state.engine) as session:
        add_deposit(session, tx["txid"], OURS, "0.015", "p-1842")
        session.commit()
    page = _lookup(agent, text=tx["txid"], player_ref="p-1842")
    return re.search(r"/investigations/([0-9a-f]{32})", str(page.url)).group(1)


def test_evidence_file_holds_the_request_verdicts_answers_ledger_policy_and_links(agent, investigation, key_path):
    response = agent.get(f"/investigations/{investigation}/evidence.json")
    assert response.status_code == 200 and "attachment" in response.headers["content-disposition"]
    signed = response.json()
    doc = verify(signed, load_or_create(key_path).public_key)
    assert doc["request"]["channel"] == "lookup" and doc["request"]["player_ref"] == "p-1842"
    assert [(v["kind"], v["code"], v["final"]) for v in doc["verdicts"]] == [("first", "credited", True)]
    assert doc["verdicts"][0]["evidence"]["ledger"][0]["amount"] == "0.015"
    assert doc["ledger_rows_used"][0]["amount"] == "0.015" and doc["ledger_rows_now"][0]["status"] == "credited"
    answers = doc["provider_answers"]
    assert answers and all(a["body_kept"] for a in answers)
    tx_answer = next(a for a in answers if "/tx/" in a["url"] and a["status"] == 200)
    assert hashlib.sha256(tx_answer["body"].encode()).hexdigest() == tx_answer["body_sha256"]
    assert tx_answer["provider"] in ("esplora-one.test", "esplora-two.test") and tx_answer["latency_ms"] >= 0
    assert doc["policy"]["required_confirmations"] == {"btc": 2, "eth": 12}
    assert doc["policy"]["min_deposits"]["BTC"] == "0.0001"
    assert doc["explorer_links"][0].startswith("https://mempool.space/tx/")


def test_any_change_to_a_signed_file_fails_verification(agent, investigation, key_path):
    signed = agent.get(f"/investigations/{investigation}/evidence.json").json()
    public = load_or_create(key_path).public_key
    verify(signed, public)
    tampered = json.loads(json.dumps(signed))
    tampered["evidence"]["verdicts"][0]["evidence"]["ledger"][0]["amount"] = "0.15"
    with pytest.raises(EvidenceSignatureError, match="was changed"):
        verify(tampered, public)
    reordered = json.loads(json.dumps(signed))
    reordered["evidence"]["provider_answers"][0]["body"] += " "
    with pytest.raises(EvidenceSignatureError):
        verify(reordered, public)
    other = load_or_create(key_path.parent / "other.pem")
    with pytest.raises(EvidenceSignatureError, match="not by the trusted key"):
        verify(other.sign(signed["evidence"]), public)
    with pytest.raises(EvidenceSignatureError, match="not an evidence file"):
        verify({"signature": signed["signature"]}, public)


def test_cli_verifies_a_file_offline_and_refuses_a_changed_one(agent, investigation, key_path, tmp_path, monkeypatch):
    signed = agent.get(f"/investigations/{investigation}/evidence.json").text
    good, bad = tmp_path / "good.json", tmp_path / "bad.json"
    good.write_text(signed)
    bad.write_text(signed.replace('"credited"', '"not_our_address"', 1))
    monkeypatch.setenv("EVIDENCE_KEY_FILE", str(key_path))
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    printed = runner.invoke(main, ["evidence", "key"])
    assert printed.exit_code == 0
    public = printed.stdout.strip().splitlines()[-1]
    assert public == agent.get("/.well-known/depositdesk-evidence-key").json()["public_key"]
    ok = runner.invoke(main, ["evidence", "verify", str(good)])
    assert ok.exit_code == 0 and f"valid: investigation {investigation}" in ok.output
    assert runner.invoke(main, ["evidence", "verify", str(good), "--public-key", public]).exit_code == 0
    refused = runner.invoke(main, ["evidence", "verify", str(bad)])
    assert refused.exit_code == 1 and "INVALID" in refused.output


def test_the_key_is_created_once_and_kept_private(app, key_path, browser):
    first = browser.get("/.well-known/depositdesk-evidence-key").json()
    assert first["algorithm"] == "Ed25519" and len(first["key_id"]) == 16
    assert key_path.stat().st_mode & 0o077 == 0
    app.state.evidence_key = None
    assert browser.get("/.well-known/depositdesk-evidence-key").json() == first


def test_printable_page_and_token_access(agent, investigation, app):
    page = agent.get(f"/investigations/{investigation}/evidence")
    assert page.status_code == 200
    assert "/static/evidence.css" in page.text and "Providers' answers as received" in page.text
    assert "depositdesk evidence verify FILE" in page.text
    assert "@media print" in agent.get("/static/evidence.css").text
    with Session(app.state.engine) as session:
        _bob, token = add_agent(session, "bob", role="lead")
    with TestClient(app) as stranger:
        url = f"/investigations/{investigation}/evidence.json"
        assert stranger.get(url, follow_redirects=False).status_code == 303  # to the sign-in page
        assert stranger.get(url, headers={"Authorization": "Bearer dd_forged"}).status_code == 401
        by_token = stranger.get(
            f"/investigations/{investigation}/evidence.json", headers={"Authorization": f"Bearer {token}"}
        )
    assert by_token.status_code == 200 and by_token.json()["evidence"]["investigation"] == investigation
    assert agent.get("/investigations/nope/evidence.json").status_code == 404


def test_bodies_past_retention_leave_their_hash_and_the_parsed_facts(agent, investigation, app):
    with Session(app.state.engine) as session:
        assert provider_log.purge_bodies(session, utcnow() + timedelta(seconds=1)) > 0
    answers = agent.get(f"/investigations/{investigation}/evidence.json").json()["evidence"]["provider_answers"]
    tx_answer = next(a for a in answers if "/tx/" in a["url"] and a["status"] == 200)
    assert tx_answer["body"] is None and tx_answer["body_kept"] is False
    assert len(tx_answer["body_sha256"]) == 64 and tx_answer["parsed"]["status"] == "confirmed"


def _file(agent, investigation) -> str:
    return agent.get(f"/investigations/{investigation}/evidence.json").text


def test_a_file_with_a_forged_evidence_key_before_the_genuine_one_does_not_verify(agent, investigation, key_path):
    public = load_or_create(key_path).public_key
    genuine = _file(agent, investigation)
    signed = json.loads(genuine)
    forged = json.loads(genuine)["evidence"]
    forged["verdicts"][0]["evidence"]["ledger"][0]["amount"] = "15"
    # {"evidence": <forged>, "evidence": <genuine>, "signature": <genuine>}: a reader keeping the first
    # key sees the forged amounts, json.loads keeps the last and the signature matches that one.
    doubled = (
        '{"evidence":'
        + json.dumps(forged)
        + ',"evidence":'
        + json.dumps(signed["evidence"])
        + ',"signature":'
        + json.dumps(signed["signature"])
        + "}"
    )
    assert verify(json.loads(doubled), public)  # what a lenient reader would have accepted
    with pytest.raises(EvidenceSignatureError, match="appears twice"):
        verify_file(doubled, public)
    inner = genuine.replace('"request":', '"request":{"channel":"forged"},"request":', 1)
    with pytest.raises(EvidenceSignatureError, match="appears twice"):
        verify_file(inner, public)
    assert verify_file(genuine, public)["investigation"] == investigation


@pytest.mark.parametrize(
    "change",
    [
        lambda text: text + ' {"evidence": {}}',  # trailing data
        lambda text: text + "garbage",
        lambda text: text.replace('"status": 200', '"status": 200.0', 1),  # non-canonical numbers
        lambda text: text.replace('"status": 200', '"status": 2e2', 1),
        lambda text: text.replace('"status": 200', '"status": 0200', 1),
        lambda text: text.replace('"status": 200', '"status": NaN', 1),
        lambda text: text.replace('"status": 200', '"status": 201', 1),  # a changed number
        lambda text: text.rstrip()[:-1] + ',"note":"unsigned"}',  # a field beside the signed ones
    ],
)
def test_strict_reading_refuses_what_has_more_than_one_meaning_or_was_changed(agent, investigation, key_path, change):
    public = load_or_create(key_path).public_key
    genuine = _file(agent, investigation)
    assert '"status": 200' in genuine
    changed = change(genuine)
    assert changed != genuine
    with pytest.raises(EvidenceSignatureError):
        verify_file(changed, public)


def test_reordered_fields_verify_only_with_their_values_unchanged(agent, investigation, key_path):
    public = load_or_create(key_path).public_key
    signed = json.loads(_file(agent, investigation))
    reordered = {"signature": signed["signature"], "evidence": dict(reversed(list(signed["evidence"].items())))}
    assert verify_file(json.dumps(reordered), public)  # the canonical form is what is signed
    altered = json.loads(json.dumps(reordered))
    altered["evidence"]["ledger_rows_used"][0]["amount"] = "0.016"
    with pytest.raises(EvidenceSignatureError, match="was changed"):
        verify_file(json.dumps(altered), public)


def test_cli_refuses_a_file_with_a_duplicated_key(agent, investigation, key_path, tmp_path, monkeypatch):
    genuine = _file(agent, investigation)
    doubled = tmp_path / "doubled.json"
    doubled.write_text(genuine.replace('"request":', '"request":{"channel":"forged"},"request":', 1))
    monkeypatch.setenv("EVIDENCE_KEY_FILE", str(key_path))
    monkeypatch.chdir(tmp_path)
    refused = CliRunner().invoke(main, ["evidence", "verify", str(doubled)])
    assert refused.exit_code == 1 and "INVALID" in refused.output and "twice" in refused.output


@hypothesis.settings(max_examples=300, deadline=None, derandomize=True)
@hypothesis.given(
    hypothesis.strategies.recursive(
        hypothesis.strategies.none()
        | hypothesis.strategies.booleans()
        | hypothesis.strategies.integers()
        | hypothesis.strategies.floats(allow_nan=False, allow_infinity=False)
        | hypothesis.strategies.text(),
        lambda children: (
            hypothesis.strategies.lists(children, max_size=4)
            | hypothesis.strategies.dictionaries(hypothesis.strategies.text(max_size=8), children, max_size=4)
        ),
        max_leaves=20,
    )
)
def test_strict_reading_reads_back_exactly_what_canonical_json_writes(document):
    from app.lead.evidence_signing import canonical, parse_strict

    try:
        written = canonical(document)
    except UnicodeEncodeError:  # a lone surrogate is not UTF-8: never signed
        return
    assert canonical(parse_strict(written)) == written


def test_a_key_in_the_provider_path_leaves_no_trace_in_the_evidence_file(
    settings, sqlite_engine, chain, http_mock, tmp_path
):
    from app.main import create_app  # noqa: PLC0415
    from app.runtime.accounts import hash_password  # noqa: PLC0415
    from tests.support.ledger import add_addresses  # noqa: PLC0415
    from tests.support.web import PASSWORD, _csrf  # noqa: PLC0415

    key = "0f1e" * 15 + "e1f0"  # 64 hex digits, the shape of a tx hash
    bases = [f"https://keyed-one.test/k/{key}/api"]
    chain.serve(http_mock, [bases[0]])
    configured = settings.model_copy(
        update={"btc_providers": [f"esplora:{bases[0]}"], "evidence_key_file": str(tmp_path / "evidence.pem")}
    )
    app = create_app(configured, engine=sqlite_engine)
    tx = chain.build_tx([(OURS, 1_500_000)], height=TIP - 2)
    with Session(sqlite_engine) as session:
        add_agent(session, "alice", password_hash=hash_password(PASSWORD))
        add_addresses(session, (OURS, "p-1842"))
        add_deposit(session, tx["txid"], OURS, "0.015", "p-1842")
        session.commit()
    with TestClient(app) as client:
        client.post("/login", data={"csrf": _csrf(client.get("/login").text), "name": "alice", "password": PASSWORD})
        page = _lookup(client, text=tx["txid"], player_ref="p-1842")
        investigation = re.search(r"/investigations/([0-9a-f]{32})", str(page.url)).group(1)
        evidence = client.get(f"/investigations/{investigation}/evidence.json").text
        printable = client.get(f"/investigations/{investigation}/evidence").text
    assert tx["txid"] in evidence and "keyed-one.test/***/tx/" in evidence
    for text in (evidence, printable):
        assert key not in text and "/k/" not in text
