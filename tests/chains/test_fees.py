"""The fee market a payout is judged against: Esplora's /fee-estimates and /mempool as Decimal rates
(never float), the ETA from the mempool paying more, the rate for a horizon, malformed answers refused."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
import responses

from chains.base import Chain, ChainTx, ProviderBadResponse, TxStatus
from chains.bitcoin.esplora import EsploraAdapter
from chains.fees import FeeMarket, fee_rate, parse_esplora

BASE = "https://esplora-fees.test/api"
ESTIMATES = {"1": 87.882, "2": 87.882, "3": 60.1, "6": 20.5, "144": 1.027, "504": 1.0, "1008": 1.0}
MEMPOOL = {
    "count": 3,
    "vsize": 2_500_000,
    "total_fee": 1,
    "fee_histogram": [[90.5, 900_000], [30.0, 800_000], [5.0, 800_000]],
}


def test_esplora_answers_become_decimal_rates_and_an_eta():
    with responses.RequestsMock() as mock:
        mock.get(f"{BASE}/fee-estimates", body=json.dumps(ESTIMATES))
        mock.get(f"{BASE}/mempool", body=json.dumps(MEMPOOL))
        market = EsploraAdapter(BASE).fee_market()
    assert market.estimates[1] == Decimal("87.882") and isinstance(market.estimates[6], Decimal)
    assert market.rate_for(6) == Decimal("20.5") and market.rate_for(100) == Decimal("20.5")
    assert market.rate_for(144) == Decimal("1.027")
    assert market.blocks_ahead(Decimal("95")) == 1
    assert market.blocks_ahead(Decimal("31")) == 1  # 0.9 MvB pays more: still in the next block
    assert market.blocks_ahead(Decimal("10")) == 2  # 1.7 MvB pays more
    assert market.as_evidence()["estimates_sat_vb"]["3"] == "60.1"


def test_without_a_histogram_the_eta_comes_from_the_estimates():
    market = FeeMarket(Chain.BTC, "p", estimates={1: Decimal(50), 6: Decimal(10), 144: Decimal(2)})
    assert market.blocks_ahead(Decimal(12)) == 6
    assert market.blocks_ahead(Decimal(1)) is None  # below every estimate: no ETA


@pytest.mark.parametrize(
    ("estimates", "mempool"),
    [
        ({}, MEMPOOL),
        ([1, 2], MEMPOOL),
        ({"x": 1}, MEMPOOL),
        ({"1": -1}, MEMPOOL),
        ({"1": 2}, {"fee_histogram": [["a"]]}),
    ],
)
def test_a_malformed_fee_market_is_a_bad_response(estimates, mempool):
    with pytest.raises(ProviderBadResponse):
        parse_esplora("p", estimates, mempool)


def test_an_error_status_is_a_bad_response():
    with responses.RequestsMock() as mock:
        mock.get(f"{BASE}/fee-estimates", status=404, body="not found")
        mock.get(f"{BASE}/mempool", body=json.dumps(MEMPOOL))
        with pytest.raises(ProviderBadResponse):
            EsploraAdapter(BASE).fee_market()


def test_a_tx_fee_rate_is_fee_over_vsize():
    tx = ChainTx(Chain.BTC, "ab" * 32, TxStatus.MEMPOOL, ["p"], fee=1_410, vsize=141)
    assert fee_rate(tx) == Decimal("10.00")
    assert fee_rate(ChainTx(Chain.BTC, "ab" * 32, TxStatus.MEMPOOL, ["p"], fee=None, vsize=141)) is None
