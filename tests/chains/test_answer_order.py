"""Decisions that two providers may answer differently never depend on which answer came first.

Each provider here answers only when the test lets it (threading.Event gates), and the pool tells
the test each answer it took, so every test drives one exact arrival order; no test waits on the
wall clock. The wait for a provider still answering ends when the test says (an injected
`Patience`), so even the case "it did not answer in time" is an ordered event here.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Collection, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, wait
from typing import Any

import pytest

from app.wiring import SETTLED_DEPTH, build_policy
from chains.base import Chain, ChainTx, Outpoint, Spend, TxStatus
from chains.base import Transfer as Out
from chains.guarded import Call
from chains.providers import Outcome, Patience, ProviderPool, ProviderSettings
from investigations.service import InvestigationRequest, Investigator
from tests.support.ledger import add_addresses, address

TXID = "ab" * 32
OURS = address("casino-p-1")
PLAYER = address("player-wallet")
GUARD = 30.0  # only against a hung test: every wait below ends on an event long before


class Gate:
    """A provider that answers `answer` (a ChainTx, or a function of the question) once released."""

    chain = Chain.BTC

    def __init__(self, name: str, answer: Any) -> None:
        self.name = name
        self.answer = answer
        self.asked = threading.Event()
        self.go = threading.Event()

    def _answer(self, *args: Any) -> Any:
        self.asked.set()
        assert self.go.wait(GUARD)
        return self.answer(*args) if callable(self.answer) else self.answer

    get_tx = _answer
    block_in_main_chain = _answer
    spend_of = _answer


class Told(Patience):
    """Waits for the providers still answering until the test ends the wait (or they all answer)."""

    def __init__(self) -> None:
        self.waiting = threading.Event()
        self.over: Future[None] = Future()

    def until(self, call: Call, now: float) -> float:
        return call.deadline

    def wait(self, futures: Collection[Future[Any]], until: float) -> None:
        self.waiting.set()
        left = set(futures)
        while left and not self.over.done():
            done, _ = wait([*left, self.over], timeout=GUARD, return_when=FIRST_COMPLETED)
            assert done, "neither an answer nor the end of the wait came"
            left -= done


class Watched(ProviderPool):
    """A pool that reports each provider answer it takes, in the order it takes them."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.taken: queue.Queue[str] = queue.Queue()

    def _take(self, call: Call, *args: Any) -> None:
        super()._take(call, *args)
        self.taken.put(call.provider.name)


def tx(provider: str, *, confirmations: int = 3, status: TxStatus = TxStatus.CONFIRMED, block: str = "00") -> ChainTx:
    if status is TxStatus.NOT_FOUND:
        return ChainTx(Chain.BTC, TXID, status, [provider])
    in_block = status is not TxStatus.MEMPOOL
    return ChainTx(
        Chain.BTC,
        TXID,
        status,
        [provider],
        block_height=850_000 if in_block else None,
        block_hash=block * 32 if in_block else None,
        confirmations=confirmations if in_block else 0,
        transfers=[Out("BTC", (PLAYER,), OURS, 1_500_000, 0)],
        inputs=[Outpoint("11" * 32, 0)],
    )


def pool_of(*gates: Gate, patience: Patience | None = None, hedge: float = 60) -> Watched:
    """Both providers asked at once for a tx (hedge: when the second one is asked for anything else)."""
    settings = ProviderSettings(settled_depth=SETTLED_DEPTH[Chain.BTC], hedge_min=hedge, hedge_max=hedge)
    return Watched(list(gates), settings, patience=patience)


def conduct(pool: Watched, first: Gate, second: Gate, errors: list[BaseException], between: Callable[[], Any]) -> None:
    """Both providers asked; `first` answers and the pool takes it; `between`; then `second` answers
    (unless `between` returned "hold": then only once the test has its answer)."""
    try:
        assert first.asked.wait(GUARD) and second.asked.wait(GUARD)
        first.go.set()
        assert pool.taken.get(timeout=GUARD) == first.name
        if between() != "hold":
            second.go.set()
    except BaseException as exc:  # noqa: BLE001 - reported by the test thread
        errors.append(exc)
        first.go.set()
        second.go.set()


def in_order(pool: Watched, first: Gate, second: Gate, run: Callable[[], Any], between=lambda: None) -> Any:
    errors: list[BaseException] = []
    conductor = threading.Thread(target=conduct, args=(pool, first, second, errors, between))
    conductor.start()
    try:
        return run()
    finally:
        conductor.join(GUARD)
        second.go.set()
        assert not errors, errors


ORDERS = ["one_first", "two_first"]


def gates(order: str, found: ChainTx, other: ChainTx) -> tuple[Gate, Gate, Gate, Gate]:
    """(one, two) in configured order, and (first, second) in the order they answer."""
    one, two = Gate("one.test", found), Gate("two.test", other)
    return (one, two, one, two) if order == "one_first" else (one, two, two, one)


@pytest.mark.parametrize("order", ORDERS)
def test_a_provider_not_knowing_a_recent_tx_disputes_it_whichever_answer_came_first(order):
    one, two, first, second = gates(order, tx("one.test"), tx("two.test", status=TxStatus.NOT_FOUND))
    pool = pool_of(one, two)
    lookup = in_order(pool, first, second, lambda: pool.lookup(TXID))
    assert lookup.outcome is Outcome.FOUND and lookup.disputed and not lookup.unheard
    assert [(a.provider, a.answer) for a in lookup.answers] == [("one.test", "confirmed"), ("two.test", "not_found")]


@pytest.mark.parametrize("order", ORDERS)
def test_a_deep_tx_is_not_disputed_by_a_provider_that_lost_it_whichever_came_first(order):
    one, two, first, second = gates(order, tx("one.test", confirmations=10), tx("two.test", status=TxStatus.NOT_FOUND))
    pool = pool_of(one, two)
    lookup = in_order(pool, first, second, lambda: pool.lookup(TXID))
    assert lookup.outcome is Outcome.FOUND and not lookup.disputed and lookup.tx.confirmations == 10


@pytest.mark.parametrize("order", ORDERS)
def test_a_provider_that_still_sees_a_recent_tx_in_the_mempool_disputes_its_block(order):
    one, two, first, second = gates(order, tx("one.test", status=TxStatus.MEMPOOL), tx("two.test"))
    pool = pool_of(one, two)
    lookup = in_order(pool, first, second, lambda: pool.lookup(TXID))
    # The answer used is the one that has it in a block, whichever came first.
    assert lookup.tx.status is TxStatus.CONFIRMED and lookup.tx.providers == ["two.test"]
    assert lookup.disputed


@pytest.mark.parametrize("order", ORDERS)
def test_two_providers_putting_a_recent_tx_in_different_blocks_dispute_it(order):
    one, two, first, second = gates(order, tx("one.test", block="0a"), tx("two.test", block="0b"))
    pool = pool_of(one, two)
    lookup = in_order(pool, first, second, lambda: pool.lookup(TXID))
    assert lookup.disputed and lookup.tx.block_hash == "0a" * 32  # the first configured provider's


@pytest.mark.parametrize("order", ORDERS)
def test_providers_disagreeing_about_a_block_cannot_say_whether_it_is_in_the_main_chain(order):
    one, two = Gate("one.test", True), Gate("two.test", False)
    first, second = (one, two) if order == "one_first" else (two, one)
    pool = pool_of(one, two, hedge=0)  # the second provider is asked at once too
    assert in_order(pool, first, second, lambda: pool.block_in_main_chain("cd" * 32, 850_000)) is None


@pytest.mark.parametrize("order", ORDERS)
def test_providers_disagreeing_about_a_spend_cannot_say_who_spent_it(order):
    spent = Spend(Outpoint("11" * 32, 0), True, "cd" * 32, confirmed=False)
    one, two = Gate("one.test", spent), Gate("two.test", Spend(Outpoint("11" * 32, 0), False))
    first, second = (one, two) if order == "one_first" else (two, one)
    pool = pool_of(one, two, hedge=0)  # the second provider is asked at once too
    assert in_order(pool, first, second, lambda: pool.spend_of(Outpoint("11" * 32, 0))) is None


# --- the same, through the verdict ----------------------------------------------------------------


@pytest.fixture
def investigate(settings, session) -> Iterator[Callable[[Watched], Any]]:
    add_addresses(session, (OURS, "p-1"))

    def run(pool: Watched) -> Any:
        investigator = Investigator({Chain.BTC: pool}, build_policy(settings), settled_depth=SETTLED_DEPTH)
        return investigator.investigate(session, InvestigationRequest(tx_hash=TXID, chain="btc"))

    yield run


@pytest.mark.parametrize("order", ORDERS)
def test_the_dispute_verdict_is_the_same_whichever_answer_came_first(order, investigate):
    one, two, first, second = gates(order, tx("one.test"), tx("two.test", status=TxStatus.NOT_FOUND))
    pool = pool_of(one, two)
    record = in_order(pool, first, second, lambda: investigate(pool))
    assert record.code == "confirming" and not record.final  # never confirmed_not_credited on a disputed word
    assert record.evidence["disputed"] is True


@pytest.mark.parametrize("order", ORDERS)
def test_agreeing_providers_give_the_same_final_verdict_whichever_came_first(order, investigate):
    one, two, first, second = gates(order, tx("one.test"), tx("two.test"))
    pool = pool_of(one, two)
    record = in_order(pool, first, second, lambda: investigate(pool))
    assert record.code == "confirmed_not_credited" and record.final
    assert [a["answer"] for a in record.evidence["providers"]] == ["confirmed", "confirmed"]


def test_a_provider_silent_when_the_answer_is_due_leaves_the_verdict_to_a_recheck(investigate):
    # Its "not found" may still be on the way: the verdict says what the other provider saw, is not
    # final and is checked again; it is not made conservative by a silence (a slow machine).
    one, two = Gate("one.test", tx("one.test")), Gate("two.test", tx("two.test", status=TxStatus.NOT_FOUND))
    patience = Told()
    pool = pool_of(one, two, patience=patience)

    def silence() -> str:
        assert patience.waiting.wait(GUARD)
        patience.over.set_result(None)
        return "hold"  # its answer comes after the verdict

    record = in_order(pool, one, two, lambda: investigate(pool), between=silence)
    assert record.code == "confirmed_not_credited" and not record.final and record.next_check_at is not None
    assert record.evidence["unheard"] is True and "disputed" not in record.evidence
    assert [a["answer"] for a in record.evidence["providers"]] == ["confirmed", "unheard"]


def test_the_bounded_wait_is_each_providers_hedge_delay_after_the_decision_within_its_deadline():
    pool = pool_of(Gate("one.test", None), hedge=0.5)
    provider = pool.providers[0]
    call = Call(provider, started=100.0, deadline=110.0)
    assert Patience().until(call, now=101.0) == 101.5
    assert Patience().until(call, now=109.9) == 110.0
