"""Several providers per chain, asked so that none can stall a lookup, and never a tx called
unknown on the word of a single provider: "not found" needs two providers that agree.

A lookup asks the first two providers at once (an unknown tx then costs one round trip, not
two) while the second one's rate budget has room to spare and the pool's recent demand leaves
room for the extra request: lookups started in the last second, two requests each, within the
providers' rate limits together. Otherwise that one is asked after a "not found", a failure or
the hedge delay, so a known tx costs one provider: lookups run back to back at the limits cost
one request each instead of draining the budgets the next lookups need. The first asked is the
first in order whose budget lets a request go now. Other questions ask one.

A provider that has not answered within its hedge delay (its recent p95 latency, bounded) gets
the next provider asked beside it; a refused connection, a 5xx, a 429 or a bad answer fails over
at once. The first good answer wins (for a tx in a recent block, once the others asked were
heard) and slower calls are abandoned, judged by their own deadline later. A failed provider is asked again (after its
Retry-After, or a backoff with jitter) only when the others cannot answer. Every call has a
deadline within the lookup's budget, and only a call that overran its deadline charges its
provider's breaker: never a provider that was not asked, or answered in time.

A decision two providers may answer differently (a tx in a recent block that a lagging provider
does not know, a block one provider no longer has) never depends on which answer came first: the
pool hears every provider it asked before answering (see `ProviderPool._hear`). How long it
waits for them is `Patience`, injected so that tests decide when the wait ends.
"""

from __future__ import annotations

import logging
import math
import random
import threading
import time
from collections import deque
from collections.abc import Callable, Collection, Generator
from concurrent.futures import FIRST_COMPLETED, Future, wait
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, TypeVar

from chains.base import (
    ChainAdapter,
    ChainError,
    ChainTx,
    Outpoint,
    OwnRateLimit,
    ProviderBadResponse,
    ProviderLimitation,
    ProviderUnavailable,
    Spend,
    Transfer,
)
from chains.guarded import Call, Guarded, GuardSettings
from chains.history import RangeTooLarge
from chains.questions import Agreement, FirstAnswer, Question, TxQuorum
from chains.resilience import Shared
from chains.tips import Tips

log = logging.getLogger(__name__)
T = TypeVar("T")
DEMAND_WINDOW = 1.0  # seconds of lookup starts the speculative second ask is weighed against


class Outcome(StrEnum):
    FOUND = "found"
    NOT_FOUND = "not_found"
    UNAVAILABLE = "unavailable"


@dataclass(frozen=True)
class ProviderAnswer:
    provider: str
    # "confirmed", "mempool", "failed", "not_found", "error", "cannot_tell", "skipped", "abandoned", "cache"
    answer: str
    detail: str = ""
    chain: str = ""  # the chain (or EVM network) asked, when a lookup asked several; "" for the ticket's


@dataclass
class Lookup:
    outcome: Outcome
    tx: ChainTx | None
    answers: list[ProviderAnswer] = field(default_factory=list)
    disputed: bool = False  # a provider did not know a recently confirmed tx that another one found
    # A provider asked at once had not answered when the answer was due (its hedge delay after the
    # answer used): its word is missing, so the verdict is not final and is checked again.
    unheard: bool = False
    cached: bool = False  # settled facts from our own cache: no provider was asked
    # Judged from what an address listing showed of the tx (an ERC-20 log: block, token, amount),
    # not the whole tx: enough for its verdict, but not cached as its settled facts.
    partial: bool = False


@dataclass(frozen=True)
class ProviderSettings:
    rate_limit: float = 0.0  # HTTP requests per second per provider; 0: no limit
    rate_burst: int = 2
    retries: int = 2  # further asks of a provider that failed transiently, when no other can answer
    backoff_initial: float = 0.25
    backoff_max: float = 4.0
    budget_seconds: float = 20.0  # one lookup, every provider and retry included
    call_deadline: float = 10.0  # one call to one provider (within the budget)
    breaker_threshold: int = 3
    breaker_cooldown: float = 30.0
    hedge_min: float = 0.1
    hedge_max: float = 1.5
    settled_depth: int = 6  # confirmations past which a provider not knowing the tx is just behind
    log_span: int = 2_000  # eth_getLogs blocks per request at first (halved when a provider refuses)
    tip_max_age: float = 0.0  # seconds a tip height is shared by every provider's lookups; 0: each asks its own

    def guard(self) -> GuardSettings:
        return GuardSettings(
            rate_limit=self.rate_limit,
            rate_burst=self.rate_burst,
            call_deadline=min(self.call_deadline, self.budget_seconds),
            breaker_threshold=self.breaker_threshold,
            breaker_cooldown=self.breaker_cooldown,
            hedge_min=self.hedge_min,
            hedge_max=self.hedge_max,
        )


class Patience:
    """How long a decided question waits for the providers it asked that are still answering: each
    for its hedge delay (its recent p95 latency) after the decision, within its own deadline."""

    def until(self, call: Call, now: float) -> float:
        return min(call.deadline, now + call.provider.hedge_delay())

    def wait(self, futures: Collection[Future[Any]], until: float) -> None:
        """Return once every future is done, or at `until` (time.monotonic) at the latest."""
        wait(futures, timeout=max(0.0, until - time.monotonic()))


class UntilDeadline(Patience):
    """Wait for every provider asked until its own call deadline (the test suite's patience: on a
    busy machine a late answer still arrives, so no verdict depends on how fast the machine is)."""

    def until(self, call: Call, now: float) -> float:
        return call.deadline


DEFAULT_PATIENCE = Patience()


@dataclass
class _Retry:
    provider: Guarded
    not_before: float


class ProviderPool:
    """An ordered list of providers for one chain."""

    def __init__(
        self,
        adapters: list[ChainAdapter],
        settings: ProviderSettings | None = None,
        *,
        shared: Shared | None = None,
        patience: Patience | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not adapters:
            raise ValueError("a provider pool needs at least one provider")
        self.settings = settings or ProviderSettings()
        self.providers = [Guarded(a, self.settings.guard(), shared) for a in adapters]
        self.chain = adapters[0].chain
        self.shared = shared
        self.patience = patience  # None: DEFAULT_PATIENCE, read when needed
        # One tip height for every provider's lookups (chains/tips.py), for adapters that count from it.
        self.tips = Tips(self.settings.tip_max_age) if self.settings.tip_max_age > 0 else None
        for adapter in adapters:
            if self.tips is not None and hasattr(adapter, "tips"):
                adapter.tips = self.tips
        self.history_providers: list[Guarded] = []  # list address histories only; never asked for a tx
        # "Not found" is only believed when two providers say so: one may lag, prune old txs, or lie.
        self.not_found_quorum = 2
        self.clock = clock  # when lookups start, for the demand the speculative ask is weighed against
        self._starts: deque[float] = deque()
        self._starts_lock = threading.Lock()

    @property
    def adapters(self) -> list[ChainAdapter]:
        return [p.adapter for p in self.providers]

    def lookup(self, tx_hash: str) -> Lookup:
        return _drive(self.looking_up(tx_hash))

    def looking_up(self, tx_hash: str) -> Steps[Lookup]:
        """`lookup` as steps: yields what it waits for (see `Steps`) and returns the Lookup, so that
        one thread can drive the lookups of several pools at once (`lookup_together`)."""
        order = {p.name: position for position, p in enumerate(self.providers)}
        # A provider that does not know a tx another one sees in a recent block may be on another
        # fork; one that does not know a deep tx is only behind (or pruned its index).
        question = TxQuorum(self.not_found_quorum, settled_depth=self.settings.settled_depth, order=order)
        self._started()
        yield from self._asking("get_tx", (tx_hash,), question)
        # Evidence lists the providers in their configured order, whatever order they answered in.
        answers = [ProviderAnswer(*a) for a in sorted(question.answers, key=lambda a: order.get(a[0], 0))]
        if question.found is not None:
            unheard = any(a.answer == "unheard" for a in answers)
            return Lookup(Outcome.FOUND, question.found, answers, disputed=question.disputed, unheard=unheard)
        if question.not_found >= self.not_found_quorum:
            return Lookup(Outcome.NOT_FOUND, None, answers)
        return Lookup(Outcome.UNAVAILABLE, None, answers)

    def offer_tip(self, height: int) -> None:
        """A tip height learned elsewhere (the deposit auditor's follower): lookups count from it."""
        if self.tips is not None:
            self.tips.offer(height)

    def spend_of(self, outpoint: Outpoint) -> Spend | None:
        """Who spent an outpoint; None if no provider can say, or the providers asked disagree (one may
        not have seen the spend yet), whichever answered first."""
        question = Agreement()
        self._ask("spend_of", (outpoint,), question)
        return question.result

    def block_in_main_chain(self, block_hash: str, height: int | None) -> bool | None:
        """Whether a block is still in the main chain; None if no provider can say, or the providers
        asked disagree (one may lag), whichever answered first."""
        question = Agreement()
        self._ask("block_in_main_chain", (block_hash, height), question)
        return question.result

    def trace(self, tx_hash: str) -> list[Transfer] | None:
        """Internal transfers from the first provider that can trace; None if none can."""
        found = self._first("trace", tx_hash)
        return list(found) if found is not None else None

    def first_answer(self, method: str, *args: Any) -> Any:
        """The answer of the first provider offering `method` that can give one; None if none can
        (the fee market, an account's nonce: questions one honest provider settles)."""
        return self._first(method, *args)

    def add_history_providers(self, adapters: list[Any]) -> None:
        """Providers that only list address histories (an Etherscan-compatible account API)."""
        self.history_providers += [Guarded(a, self.settings.guard(), self.shared) for a in adapters]

    def ask(self, method: str, *args: Any) -> tuple[Any, str]:
        """(answer, provider) from the first provider, nodes first, that has `method` and can answer.

        When none can: RangeTooLarge if one refused the range (the caller halves it), else
        ProviderUnavailable if one failed, else ProviderLimitation (nobody here can list this)."""
        deadline = time.monotonic() + self.settings.budget_seconds
        refused: list[ChainError] = []
        for provider in [*self.providers, *self.history_providers]:
            if not hasattr(provider.adapter, method):
                continue
            call = provider.start(method, args, deadline=deadline)
            if call is None:
                refused.append(
                    ProviderUnavailable(f"{provider.name}: skipped (circuit open or busy)", provider=provider.name)
                )
                continue
            try:
                return call.future.result(timeout=max(0.0, call.deadline - time.monotonic())), provider.name
            except FutureTimeout:
                call.blame("no answer by its deadline")
                refused.append(
                    ProviderUnavailable(f"{provider.name}: no answer by its deadline", provider=provider.name)
                )
            except ChainError as exc:
                log.info("provider %s cannot answer %s: %s", provider.name, method, exc)
                refused.append(exc)
        for kind in (RangeTooLarge, (ProviderUnavailable, ProviderBadResponse)):
            first = next((e for e in refused if isinstance(e, kind)), None)
            if first is not None:
                raise first
        reasons = "; ".join(str(e) for e in refused) or f"no configured provider offers {method}"
        raise ProviderLimitation(reasons, provider="pool")

    def _first(self, method: str, *args: Any) -> Any:
        question = FirstAnswer()
        self._ask(method, args, question)
        return question.result

    def _ask(self, method: str, args: tuple[Any, ...], question: Question) -> None:
        """Ask providers until the question is decided or the budget is spent (see the module doc)."""
        _drive(self._asking(method, args, question))

    def _asking(self, method: str, args: tuple[Any, ...], question: Question) -> Steps[None]:
        """`_ask` as steps: each yield is (the calls in flight, when to look again at the latest)."""
        deadline = time.monotonic() + self.settings.budget_seconds
        queue = [p for p in self.providers if hasattr(p.adapter, method)]
        pending: dict[Future[Any], Call] = {}
        retries: list[_Retry] = []
        asked: dict[str, int] = {}

        def launch_next(candidates: list[Guarded]) -> None:
            while candidates:
                provider = candidates.pop(0)
                call = provider.start(method, args, deadline=deadline)
                if call is not None:
                    pending[call.future] = call
                    asked[provider.name] = asked.get(provider.name, 0) + 1
                    return
                question.note(provider.name, "skipped", "circuit open (failing repeatedly) or too many calls in flight")

        if self.settings.rate_limit > 0 and len(queue) > 1:
            # The providers whose budget lets a request go now first (in their configured order),
            # so a busy provider's lookups go to the next one instead of waiting for its slots.
            queue.sort(key=lambda p: p.room() < 1)
        while not question.decided:
            while len(pending) < question.needed() and queue:
                if pending and not self._spare(queue):
                    break  # asked after the hedge delay, a failure or a "not found" instead
                launch_next(queue)
            now = time.monotonic()
            retry = min(retries, key=lambda r: r.not_before) if retries and not queue else None
            if retry is not None and not pending and retry.not_before <= now:  # only when no one else can answer
                retries.remove(retry)
                launch_next([retry.provider])
                continue
            if now >= deadline or (not pending and retry is None):
                break
            hedge = min(
                (c for c in pending.values() if not c.hedged and queue),
                key=lambda c: c.hedge_at(now),
                default=None,
            )
            hedge_at = hedge.hedge_at(now) if hedge else math.inf
            wake = min(
                deadline,
                hedge_at,
                retry.not_before if retry and not pending else math.inf,
                *(c.deadline for c in pending.values()),
            )
            yield list(pending), wake
            done = {future for future in pending if future.done()}
            now = time.monotonic()
            for future, call in list(pending.items()):
                if future.done():
                    self._take(pending.pop(future), question, retries, asked, deadline)
                elif call.deadline <= now:  # overran its own deadline: charged, and not asked again
                    del pending[future]
                    call.blame("no answer by its deadline")
                    question.note(call.provider.name, "error", "no answer by its deadline")
                if question.decided:
                    break
            if hedge is not None and not done and now >= hedge.hedge_at(now):
                hedge.hedged = True
                launch_next(queue)
        if question.decided and question.hear_all and pending:
            self._hear(pending)
        for future, call in pending.items():
            if future.done():  # answered while the decision was being made: its answer is evidence too
                self._take(call, question, [], asked, deadline)
            elif question.decided and question.hear_all:
                # Not blamed: its own deadline judges it (see Guarded.start); the verdict is re-checked.
                question.note(call.provider.name, "unheard", "no answer by the time the answer was due")
            elif question.decided:
                question.note(call.provider.name, "abandoned", "slower than the answer used")
            else:
                call.blame("no answer within the lookup budget")
                question.note(call.provider.name, "error", "no answer within the lookup budget")

    def _started(self) -> None:
        """Count a lookup's start in the demand window."""
        now = self.clock()
        with self._starts_lock:
            self._starts.append(now)
            while self._starts and self._starts[0] <= now - DEMAND_WINDOW:
                self._starts.popleft()

    def _demand(self) -> int:
        """Lookups started within the last DEMAND_WINDOW seconds (this one included)."""
        now = self.clock()
        with self._starts_lock:
            return sum(1 for started in self._starts if started > now - DEMAND_WINDOW)

    def _spare(self, queue: list[Guarded]) -> bool:
        """Whether another provider may be asked speculatively, beside one already asked: only while
        its rate budget has room beyond the next request (the one queued work would need next), and
        the lookups of the last second, at two requests each, fit in the providers' limits together
        (otherwise the extra request takes the slot the next lookup needs, and it waits)."""
        if self.settings.rate_limit <= 0:
            return True
        capacity = self.settings.rate_limit * DEMAND_WINDOW * len(self.providers)
        if 2 * self._demand() > capacity:
            return False
        for position, provider in enumerate(queue):
            if provider.room() >= 2:
                queue.insert(0, queue.pop(position))
                return True
        return False

    def _hear(self, pending: dict[Future[Any], Call]) -> None:
        """The question is decided but its answer depends on every provider asked: wait for the
        ones still answering, so that their word counts whether it came first or last."""
        patience = self.patience or DEFAULT_PATIENCE
        now = time.monotonic()
        until = max(patience.until(call, now) for call in pending.values())
        patience.wait(list(pending), until)

    def _take(
        self, call: Call, question: Question, retries: list[_Retry], asked: dict[str, int], deadline: float
    ) -> None:
        name = call.provider.name
        try:
            result = call.future.result()
        except OwnRateLimit as exc:
            question.note(name, "skipped", str(exc))
        except ProviderLimitation as exc:
            question.note(name, "cannot_tell", str(exc))
        except ProviderUnavailable as exc:
            log.warning("provider %s failed: %s", name, exc)
            question.note(name, "error", str(exc))
            not_before = time.monotonic() + self._backoff(exc, asked[name])
            if asked[name] <= self.settings.retries and not_before < deadline:
                retries.append(_Retry(call.provider, not_before))
        except ChainError as exc:  # a bad answer: asking again would not make it trustworthy
            log.warning("provider %s answered badly: %s", name, exc)
            question.note(name, "error", str(exc))
        else:
            question.take(name, result)

    def _backoff(self, error: ProviderUnavailable, attempt: int) -> float:
        if error.retry_after is not None:
            return float(error.retry_after)
        initial = self.settings.backoff_initial
        return min(self.settings.backoff_max, initial * 2 ** (attempt - 1)) + random.uniform(0, initial)


# A pool's question as steps: each yield names the futures it waits for and the monotonic time by
# which it must look again, whether or not one of them is done; the generator's return value is the
# answer. Whoever drives it only waits; every decision stays in the pool.
Steps = Generator[tuple[list[Future[Any]], float], None, T]


def _drive(steps: Steps[T]) -> T:
    """Run one pool's steps to the end in this thread."""
    try:
        futures, wake = next(steps)
        while True:
            _wait_for(futures, wake)
            futures, wake = steps.send(None)
    except StopIteration as stop:
        return stop.value  # type: ignore[no-any-return]


def lookup_together(asks: list[tuple[ProviderPool, str]], meanwhile: Callable[[], None] | None = None) -> list[Lookup]:
    """The lookups of several pools (one per EVM network, say) driven at once from this thread: every
    first request goes out before any answer is awaited, and the thread wakes once for each answer,
    not a thread per pool. Each pool decides exactly as its own `lookup` would. `meanwhile` runs
    once the first requests are out, before the first wait (work that needs no answer). A pool that
    hears out the providers still answering (a disputed recent tx: `_hear`) waits for them in place,
    as its own lookup would; the other pools' answers are taken after, and only their timing moves."""
    steps = [pool.looking_up(tx_hash) for pool, tx_hash in asks]
    results: dict[int, Lookup] = {}
    waiting: dict[int, tuple[list[Future[Any]], float]] = {}

    def advance(index: int, first: bool) -> None:
        try:
            waiting[index] = next(steps[index]) if first else steps[index].send(None)
        except StopIteration as stop:
            waiting.pop(index, None)
            results[index] = stop.value

    for index in range(len(steps)):
        advance(index, first=True)
    if meanwhile is not None:
        meanwhile()
    while waiting:
        futures = [future for pending, _ in waiting.values() for future in pending]
        _wait_for(futures, min(wake for _, wake in waiting.values()))
        now = time.monotonic()
        for index, (pending, wake) in list(waiting.items()):
            if wake <= now or any(future.done() for future in pending):
                advance(index, first=False)
    return [results[index] for index in range(len(steps))]


def _wait_for(futures: list[Future[Any]], wake: float) -> None:
    timeout = max(0.0, wake - time.monotonic())
    if futures:
        wait(futures, timeout=timeout, return_when=FIRST_COMPLETED)
    else:
        time.sleep(timeout)
