"""Several pools' lookups driven from one thread (`chains.providers.lookup_together`), as an EVM hash
is asked of every configured network at once.

Providers answer only when the test releases them (events); no test waits on the wall clock.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from itertools import permutations
from typing import Any

import pytest

from chains.base import TxStatus
from chains.providers import Outcome, lookup_together
from tests.chains.test_answer_order import GUARD, TXID, Gate, Watched, pool_of, tx


def networks() -> tuple[dict[str, Watched], dict[str, Gate]]:
    """Ethereum with two providers that do not know the tx, BSC with one that has it deep in a
    block, Base with one that does not know it (a single provider cannot confirm "unknown")."""
    gates = {
        "eth-1": Gate("eth-1", tx("eth-1", status=TxStatus.NOT_FOUND)),
        "eth-2": Gate("eth-2", tx("eth-2", status=TxStatus.NOT_FOUND)),
        "bsc-1": Gate("bsc-1", tx("bsc-1", confirmations=30)),
        "base-1": Gate("base-1", tx("base-1", status=TxStatus.NOT_FOUND)),
    }
    pools = {
        "eth": pool_of(gates["eth-1"], gates["eth-2"]),
        "bsc": pool_of(gates["bsc-1"]),
        "base": pool_of(gates["base-1"]),
    }
    return pools, gates


def in_background(work: Callable[[], Any]) -> tuple[threading.Thread, list[BaseException]]:
    errors: list[BaseException] = []

    def run() -> None:
        try:
            work()
        except BaseException as exc:  # noqa: BLE001 - reported by the test thread
            errors.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    return thread, errors


def summary(lookup: Any) -> tuple[Any, ...]:
    return (lookup.outcome, lookup.tx, [(a.provider, a.answer) for a in lookup.answers], lookup.disputed)


def test_every_pools_first_request_leaves_before_any_answer_is_awaited():
    """No provider answers until every one has been asked: a driver that waited for one pool's
    answer before asking the next pool would never see the others asked."""
    pools, gates = networks()

    def release_once_all_asked() -> None:
        try:
            for gate in gates.values():
                assert gate.asked.wait(GUARD), f"{gate.name} was not asked beside the others"
        finally:
            for gate in gates.values():
                gate.go.set()

    conductor, errors = in_background(release_once_all_asked)
    try:
        eth, bsc, base = lookup_together([(pool, TXID) for pool in pools.values()])
    finally:
        conductor.join(GUARD)
    assert not errors, errors
    assert eth.outcome is Outcome.NOT_FOUND
    assert bsc.outcome is Outcome.FOUND and bsc.tx.providers == ["bsc-1"]
    assert base.outcome is Outcome.UNAVAILABLE


ORDERS = list(permutations(["eth-1", "eth-2", "bsc-1", "base-1"]))[::5]


@pytest.mark.parametrize("order", ORDERS, ids="-then-".join)
def test_each_pool_decides_as_its_own_lookup_would_whatever_order_the_answers_come_in(order):
    alone_pools, alone_gates = networks()
    for gate in alone_gates.values():
        gate.go.set()
    alone = [summary(pool.lookup(TXID)) for pool in alone_pools.values()]

    pools, gates = networks()
    taken_by = {gate: pool for pool in pools.values() for gate in [g.name for g in pool.adapters]}

    def release_in_order() -> None:
        try:
            for gate in gates.values():
                assert gate.asked.wait(GUARD)
            for name in order:
                gates[name].go.set()
                assert taken_by[name].taken.get(timeout=GUARD) == name
        finally:
            for gate in gates.values():
                gate.go.set()

    conductor, errors = in_background(release_in_order)
    try:
        together = [summary(lookup) for lookup in lookup_together([(pool, TXID) for pool in pools.values()])]
    finally:
        conductor.join(GUARD)
    assert not errors, errors
    assert together == alone


def test_no_pools_no_lookups():
    assert lookup_together([]) == []
