"""Bitcoin Core JSON-RPC adapter on recorded Core answers (../shared/fixtures)."""

from __future__ import annotations

import json

import pytest
import responses

from chains.base import Outpoint, ProviderBadResponse, ProviderLimitation, ProviderUnavailable, TxStatus
from chains.bitcoin.core_rpc import BitcoinCoreAdapter
from chains.bitcoin.esplora import EsploraAdapter
from chains.providers import Outcome, ProviderPool
from tests.support.esplora import EsploraWorld

pytestmark = pytest.mark.fixtures
URL = "http://rpcuser:hunter2@node.example:8332"
ENDPOINT = "http://node.example:8332/"
TXID = "ca211af71c54c3d90b83851c1d35a73669040b82742dd7f95e39953b032f7d39"


def _answers(*bodies, status=200):
    """A Core batch answer: one JSON-RPC 1.0 reply per call, ids 0..n-1."""
    return {"status": status, "json": [{"result": r, "error": e, "id": i} for i, (r, e) in enumerate(bodies)]}


@pytest.fixture
def recorded(fixtures_dir):
    return json.loads((fixtures_dir / "btc_bitcoind_getrawtransaction_subset_ca211af7.json").read_text())


@pytest.fixture
def errors(fixtures_dir):
    document = json.loads((fixtures_dir / "btc_bitcoind_errors.json").read_text())
    return {case["name"]: case["responses"] for case in document["cases"]}


def test_confirmed_tx_amounts_are_exact_satoshis_from_btc_numbers(recorded):
    raw = dict(recorded["result_subset"]) | {"blockhash": recorded["block"]["hash"], "confirmations": 3}
    with responses.RequestsMock() as mock:
        mock.add(
            responses.POST,
            ENDPOINT,
            body=json.dumps(
                _answers((raw, None), (recorded["block"]["height"] + 2, None), ({"txindex": {"synced": True}}, None))[
                    "json"
                ]
            ),
        )
        tx = BitcoinCoreAdapter(URL).get_tx(TXID)
        assert mock.calls[0].request.headers["Authorization"].startswith("Basic ")
    assert tx.status is TxStatus.CONFIRMED
    assert (tx.block_height, tx.confirmations) == (recorded["block"]["height"], 3)
    assert [t.amount_base_units for t in tx.transfers] == [50_050_000, 6_932]  # 0.5005 and 6.932e-05 BTC
    assert tx.transfers[0].to_address == recorded["decoded_from_hex"]["vout"][0]["address"]


def test_unknown_txid_with_txindex_is_not_found_even_as_http_500(errors):
    legacy = errors["unknown_txid_with_txindex"]["legacy_jsonrpc_1_0"]
    with responses.RequestsMock() as mock:
        mock.add(
            responses.POST,
            ENDPOINT,
            status=legacy["http_status"],
            json=[
                legacy["body"] | {"id": 0},
                {"result": 900_000, "error": None, "id": 1},
                {"result": {"txindex": {"synced": True, "best_block_height": 900_000}}, "error": None, "id": 2},
            ],
        )
        assert BitcoinCoreAdapter(URL).get_tx("00" * 31 + "01").status is TxStatus.NOT_FOUND


def test_a_node_without_txindex_cannot_say_not_found(errors):
    reply = errors["unknown_txid_with_txindex"]["jsonrpc_2_0"]["body"]
    with responses.RequestsMock() as mock:
        mock.add(
            responses.POST,
            ENDPOINT,
            json=[
                reply | {"id": 0},
                {"result": 900_000, "error": None, "id": 1},
                {"result": {}, "error": None, "id": 2},
            ],
        )
        with pytest.raises(ProviderLimitation, match="-txindex"):
            BitcoinCoreAdapter(URL).get_tx("00" * 31 + "01")


def test_without_txindex_core_and_one_esplora_saying_unknown_is_not_not_found(errors):
    reply = errors["unknown_txid_with_txindex"]["jsonrpc_2_0"]["body"]
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.add(
            responses.POST,
            ENDPOINT,
            json=[
                reply | {"id": 0},
                {"result": 900_000, "error": None, "id": 1},
                {"result": {}, "error": None, "id": 2},
            ],
        )
        world = EsploraWorld(tip_height=900_000)
        world.serve(mock, ["https://esplora.example/api"])
        pool = ProviderPool([BitcoinCoreAdapter(URL), EsploraAdapter("https://esplora.example/api")])
        lookup = pool.lookup("00" * 31 + "01")
    assert lookup.outcome is Outcome.UNAVAILABLE
    assert [a.answer for a in lookup.answers] == ["cannot_tell", "not_found"]


@pytest.mark.parametrize(
    ("reply", "error"),
    [
        (
            {
                "status": 500,
                "json": {"result": None, "error": {"code": -28, "message": "Loading block index…"}, "id": None},
            },
            ProviderUnavailable,
        ),
        ({"status": 401, "body": ""}, ProviderBadResponse),
        ({"status": 503, "body": "busy"}, ProviderUnavailable),
        ({"status": 200, "body": "<html>"}, ProviderBadResponse),
        ({"status": 200, "json": [{"result": None, "error": None, "id": 7}]}, ProviderBadResponse),
    ],
)
def test_core_failures_are_mapped(reply, error):
    with responses.RequestsMock() as mock:
        mock.add(responses.POST, ENDPOINT, **reply)
        with pytest.raises(error) as raised:
            BitcoinCoreAdapter(URL).get_tx(TXID)
    assert "hunter2" not in str(raised.value) and "rpcuser" not in str(raised.value)


def test_fractional_satoshis_are_refused(recorded):
    raw = dict(recorded["result_subset"])
    raw["vout"] = [dict(raw["vout"][0], value=0.123456789)]
    with responses.RequestsMock() as mock:
        mock.add(responses.POST, ENDPOINT, json=_answers((raw, None), (1, None), ({}, None))["json"])
        with pytest.raises(ProviderBadResponse):
            BitcoinCoreAdapter(URL).get_tx(TXID)


def test_spend_of_names_a_mempool_spender_and_detects_a_spent_utxo():
    with responses.RequestsMock() as mock:
        mock.add(
            responses.POST,
            ENDPOINT,
            json=_answers(([{"txid": TXID, "vout": 0, "spendingtxid": "ab" * 32}], None), (None, None))["json"],
        )
        mock.add(responses.POST, ENDPOINT, json=_answers(([{"txid": TXID, "vout": 1}], None), (None, None))["json"])
        adapter = BitcoinCoreAdapter(URL)
        first = adapter.spend_of(Outpoint(TXID, 0))
        second = adapter.spend_of(Outpoint(TXID, 1))
    assert (first.spent, first.spending_txid) == (True, "ab" * 32)
    assert (second.spent, second.spending_txid) == (True, None)
