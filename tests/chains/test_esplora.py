"""The Esplora adapter against recorded mainnet responses (../shared/fixtures) and failures."""

import json

import pytest
import requests
import responses

from chains.base import Outpoint, ProviderBadResponse, ProviderUnavailable, TxStatus
from chains.bitcoin.esplora import EsploraAdapter

pytestmark = pytest.mark.fixtures
BASE = "https://mempool.example/api"
B10C = "b10c0000004da5a9d1d9b4ae32e09f0b3e62d21a5cce5428d4ad714fb444eb5d"


def _serve(mock, path, body, status=200, content_type="application/json"):
    text = body if isinstance(body, str) else json.dumps(body)
    mock.add(responses.GET, BASE + path.removeprefix("/api"), body=text, status=status, content_type=content_type)


@pytest.fixture
def mock():
    with responses.RequestsMock() as mock:
        yield mock


def test_confirmed_tx_with_every_script_type_is_normalized(fixtures_dir, mock):
    recorded = json.loads((fixtures_dir / "btc_esplora_tx_b10c_all_script_types.json").read_text())
    _serve(mock, recorded["request"]["path"], recorded["response"]["body"])
    _serve(mock, "/blocks/tip/height", "850005", content_type="text/plain")
    tx = EsploraAdapter(BASE).get_tx(B10C)

    body = recorded["response"]["body"]
    assert tx.status is TxStatus.CONFIRMED
    assert (tx.block_height, tx.confirmations) == (850000, 6)
    assert tx.block_hash == body["status"]["block_hash"]
    assert tx.fee == 71294
    assert [t.amount_base_units for t in tx.transfers] == [o["value"] for o in body["vout"]]
    assert [t.to_address for t in tx.transfers] == [o.get("scriptpubkey_address") for o in body["vout"]]
    assert any(t.to_address and t.to_address.startswith("bc1p") for t in tx.transfers)
    assert len(tx.inputs) == len(body["vin"])
    assert tx.providers == ["mempool.example"]


def test_unconfirmed_tx_is_mempool_and_signals_rbf(fixtures_dir, mock):
    recorded = json.loads((fixtures_dir / "btc_esplora_tx_2151_unconfirmed_p2wpkh.json").read_text())
    _serve(mock, recorded["request"]["path"], recorded["response"]["body"])
    tx = EsploraAdapter(BASE).get_tx(recorded["response"]["body"]["txid"])
    assert tx.status is TxStatus.MEMPOOL
    assert tx.confirmations == 0 and tx.block_height is None
    assert tx.rbf_signalled is True  # sequence 0xfffffffd
    assert tx.transfers[0].to_address == recorded["response"]["body"]["vout"][0]["scriptpubkey_address"]


@pytest.mark.parametrize(
    ("fixture", "case"),
    [("btc_esplora_errors.json", "unknown_txid"), ("btc_mempool_backend_errors.json", "unknown_txid")],
)
def test_unknown_txid_bodies_of_esplora_and_mempool_backend_mean_not_found(fixtures_dir, mock, fixture, case):
    recorded = json.loads((fixtures_dir / fixture).read_text())
    answer = next(c for c in recorded["cases"] if c["name"] == case)
    txid = answer["request"]["path"].rsplit("/", 1)[1]
    _serve(
        mock,
        answer["request"]["path"],
        answer["response"]["body"],
        answer["response"]["status"],
        answer["response"]["content_type"],
    )
    assert EsploraAdapter(BASE).get_tx(txid).status is TxStatus.NOT_FOUND


def test_tip_height_is_read_from_the_plain_text_body(fixtures_dir, mock):
    recorded = json.loads((fixtures_dir / "btc_esplora_blocks_tip_height_and_hash.json").read_text())
    case = recorded["cases"][0]
    _serve(mock, case["request"]["path"], case["response"]["body"], content_type="text/plain")
    assert EsploraAdapter(BASE).tip_height() == 698767


def test_a_404_that_is_not_esplora_speaking_is_not_read_as_not_found(mock):
    _serve(mock, f"/tx/{B10C}", "<html>nginx 404</html>", status=404, content_type="text/html")
    with pytest.raises(ProviderBadResponse, match="HTTP 404"):
        EsploraAdapter(BASE).get_tx(B10C)


@pytest.mark.parametrize("status", [429, 500, 502, 503])
def test_rate_limits_and_server_errors_are_unavailable(mock, status):
    _serve(mock, f"/tx/{B10C}", "busy", status=status, content_type="text/plain")
    with pytest.raises(ProviderUnavailable):
        EsploraAdapter(BASE).get_tx(B10C)


@pytest.mark.parametrize(
    "error", [requests.ConnectTimeout("slow"), requests.ReadTimeout("slow"), requests.ConnectionError("refused")]
)
def test_transport_failures_are_unavailable(mock, error):
    mock.add(responses.GET, f"{BASE}/tx/{B10C}", body=error)
    with pytest.raises(ProviderUnavailable):
        EsploraAdapter(BASE).get_tx(B10C)


def test_garbage_json_and_wrong_shapes_are_bad_responses(fixtures_dir, mock):
    _serve(mock, f"/tx/{B10C}", "{not json", content_type="application/json")
    with pytest.raises(ProviderBadResponse, match="not JSON"):
        EsploraAdapter(BASE).get_tx(B10C)
    mock.replace(responses.GET, f"{BASE}/tx/{B10C}", json={"txid": B10C, "vin": "nope"})
    with pytest.raises(ProviderBadResponse, match="missing or mistyped"):
        EsploraAdapter(BASE).get_tx(B10C)


def test_an_output_address_that_contradicts_its_script_is_refused(fixtures_dir, mock):
    body = json.loads((fixtures_dir / "btc_esplora_tx_b10c_all_script_types.json").read_text())["response"]["body"]
    paying = next(o for o in body["vout"] if o.get("scriptpubkey_address"))
    paying["scriptpubkey_address"] = "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa"
    _serve(mock, f"/tx/{B10C}", body)
    with pytest.raises(ProviderBadResponse, match="does not match its script"):
        EsploraAdapter(BASE).get_tx(B10C)


def test_amounts_in_float_notation_are_refused(fixtures_dir, mock):
    body = json.loads((fixtures_dir / "btc_esplora_tx_b10c_all_script_types.json").read_text())["response"]["body"]
    text = json.dumps(body).replace(f'"value": {body["vout"][0]["value"]}', f'"value": {body["vout"][0]["value"]}.0', 1)
    _serve(mock, f"/tx/{B10C}", text)
    with pytest.raises(ProviderBadResponse):
        EsploraAdapter(BASE).get_tx(B10C)


def test_outspend_names_the_spending_tx(mock):
    spender = "ab" * 32
    mock.add(
        responses.GET,
        f"{BASE}/tx/{B10C}/outspend/1",
        json={"spent": True, "txid": spender, "vin": 0, "status": {"confirmed": True, "block_height": 1}},
    )
    spend = EsploraAdapter(BASE).spend_of(Outpoint(B10C, 1))
    assert (spend.spent, spend.spending_txid, spend.confirmed) == (True, spender, True)
