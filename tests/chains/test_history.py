"""Address history adapters and the pool's `ask`: account API pages, log ranges refused in providers'
words, nodes without Otterscan, and block heights found for times."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import pytest
import responses

from chains.assets import DEFAULT_ASSETS
from chains.base import ProviderLimitation, ProviderUnavailable
from chains.ethereum import account_api
from chains.ethereum.account_api import AccountApiAdapter
from chains.ethereum.history import BlockClock
from chains.ethereum.jsonrpc import EthereumRpcAdapter
from chains.history import HistoryUnsupported, RangeTooLarge
from chains.providers import ProviderPool, ProviderSettings
from tests.support.rpc_proxy import RANGE_REFUSALS

ADDRESS = "0x" + "a1" * 20
API = "https://api.scan.test/v2/api?chainid=1&apikey=SECRET-KEY"
NODE = "https://node.test/rpc"


def _row(tx_hash: str, block: int, value: int, to: str = ADDRESS, sender: str = "0x" + "77" * 20) -> dict:
    return {"hash": tx_hash, "blockNumber": str(block), "timeStamp": "1763800000", "from": sender, "to": to,
            "value": str(value), "isError": "0"}  # fmt: skip


def _serve_api(mock, rows_by_action: dict, status: str = "1", message: str = "OK"):
    asked = []

    def answer(request):
        query = {k: v[0] for k, v in parse_qs(urlsplit(request.url).query).items()}
        asked.append(query)
        rows = [r for r in rows_by_action.get(query["action"], []) if int(r["blockNumber"]) <= int(query["endblock"])]
        result = rows[: int(query["offset"])] if status == "1" else rows_by_action.get("result", [])
        body = {"status": status, "message": message, "result": result}
        return 200, {"Content-Type": "application/json"}, json.dumps(body)

    mock.add_callback(responses.GET, "https://api.scan.test/v2/api", callback=answer)
    return asked


def test_account_api_lists_eth_paid_to_the_address_and_pages_back_by_block(http_mock, monkeypatch):
    monkeypatch.setattr(account_api, "PAGE_SIZE", 2)
    rows = [
        _row("0xAA", 120, 5 * 10**17),
        _row("0xbb", 110, 0, to="0x" + "99" * 20),  # a call it was not paid by
        _row("0xcc", 100, 10**18),
        _row("0xdd", 90, 10**18, to="0x" + "88" * 20, sender=ADDRESS),  # a sweep out of it
    ]
    asked = _serve_api(http_mock, {"txlist": rows})
    adapter = AccountApiAdapter(API)

    first = adapter.native_txs(ADDRESS, 50, 200)
    assert [t.tx_hash for t in first.txs] == ["0xaa"] and first.cursor == "110"
    assert first.txs[0].payments[0].amount_base_units == 5 * 10**17
    assert first.txs[0].timestamp == datetime.fromtimestamp(1763800000, tz=UTC)
    second = adapter.native_txs(ADDRESS, 50, int(first.cursor))
    assert [t.tx_hash for t in second.txs] == ["0xcc"]
    assert asked[0]["apikey"] == "SECRET-KEY" and asked[0]["sort"] == "desc" and asked[0]["startblock"] == "50"
    assert adapter.name == "api.scan.test account API"


def test_account_api_empty_answers_are_empty_and_refusals_never_show_the_key(http_mock):
    _serve_api(http_mock, {}, status="0", message="No transactions found")
    assert AccountApiAdapter(API).internal_txs(ADDRESS, 0, 100).txs == []


def test_account_api_rate_limit_is_unavailable_without_the_key(http_mock):
    _serve_api(http_mock, {"result": "Max rate limit reached"}, status="0", message="NOTOK")
    with pytest.raises(ProviderUnavailable) as refused:
        AccountApiAdapter(API).native_txs(ADDRESS, 0, 100)
    assert "SECRET" not in str(refused.value) and "rate limit" in str(refused.value)


def test_pool_asks_the_account_api_when_the_node_has_no_otterscan_and_trips_no_breaker(http_mock, evm):
    _serve_api(http_mock, {"txlist": [_row("0xaa", 120, 10**18)]})
    pool = ProviderPool([EthereumRpcAdapter("https://eth-one.test/rpc", assets=DEFAULT_ASSETS)])
    with pytest.raises(ProviderLimitation, match="no Otterscan"):
        pool.ask("native_txs", ADDRESS, 0, 200)
    pool.add_history_providers([AccountApiAdapter(API)])
    for _ in range(5):
        page, provider = pool.ask("native_txs", ADDRESS, 0, 200)
    assert provider == "api.scan.test account API" and [t.tx_hash for t in page.txs] == ["0xaa"]
    assert not pool.providers[0].breaker.is_open
    with pytest.raises(HistoryUnsupported):
        pool.providers[0].adapter.native_txs(ADDRESS, 0, 200)


@pytest.mark.parametrize(("code", "message"), RANGE_REFUSALS)
def test_every_wording_of_a_refused_log_range_asks_for_a_smaller_one(http_mock, evm, code, message):
    evm.faults["https://eth-one.test/rpc"] = lambda payload: (
        200,
        {"Content-Type": "application/json"},
        json.dumps([{"jsonrpc": "2.0", "id": payload[0]["id"], "error": {"code": code, "message": message}}]),
    )
    adapter = EthereumRpcAdapter("https://eth-one.test/rpc", assets=DEFAULT_ASSETS)
    with pytest.raises(RangeTooLarge):
        adapter.transfer_logs([ADDRESS], ["0x" + "dd" * 20], 1, 100_000)


def test_other_log_errors_are_not_a_range_to_halve(http_mock, evm):
    evm.faults["https://eth-one.test/rpc"] = lambda payload: (
        200,
        {"Content-Type": "application/json"},
        json.dumps(
            [{"jsonrpc": "2.0", "id": payload[0]["id"], "error": {"code": -32000, "message": "header not found"}}]
        ),
    )
    adapter = EthereumRpcAdapter("https://eth-one.test/rpc", assets=DEFAULT_ASSETS)
    with pytest.raises(ProviderUnavailable):
        adapter.transfer_logs([ADDRESS], ["0x" + "dd" * 20], 1, 10)


class _Timestamps:
    """A pool answering block timestamps from a list, counting what it is asked."""

    def __init__(self, stamps: list[int]) -> None:
        self.stamps = stamps
        self.asked = 0
        self.settings = ProviderSettings()

    def ask(self, method: str, height):
        self.asked += 1
        if method == "block_timestamps":  # one batch of heights, one round trip
            return {h: self.stamps[h] for h in height}, "fake"
        return self.stamps[height], "fake"


def test_block_clock_finds_the_first_block_at_or_after_a_time_and_caches_it():
    stamps, now = [], 1_700_000_000
    for height in range(5000):  # irregular block times, some equal, as real chains have
        now += (height * 7919) % 25
        stamps.append(now)
    pool = _Timestamps(stamps)
    clock = BlockClock(pool, block_seconds=12)  # type: ignore[arg-type]
    for target in (stamps[0] - 5, stamps[0], stamps[1234] - 1, stamps[1234], stamps[4000] + 1, stamps[-1] + 1):
        expected = next((h for h, s in enumerate(stamps) if s >= target), len(stamps))
        assert clock.first_at_or_after(datetime.fromtimestamp(target, tz=UTC), len(stamps) - 1) == expected
    asked = pool.asked
    clock.first_at_or_after(datetime.fromtimestamp(stamps[1234], tz=UTC), len(stamps) - 1)
    assert pool.asked == asked  # cached
    assert asked <= 6 * 4  # a few batched round trips per target, never a walk


def test_block_clock_without_batches_asks_one_height_at_a_time_and_finds_the_same_block():
    stamps = [1_700_000_000 + 12 * h + (h * 7) % 5 for h in range(3000)]

    class _OneAtATime(_Timestamps):
        def ask(self, method: str, height):
            if method == "block_timestamps":
                raise ProviderLimitation("no batches here", provider="fake")
            return super().ask(method, height)

    clock = BlockClock(_OneAtATime(stamps), block_seconds=12)  # type: ignore[arg-type]
    target = stamps[1777] - 1
    assert clock.first_at_or_after(datetime.fromtimestamp(target, tz=UTC), len(stamps) - 1) == 1777
