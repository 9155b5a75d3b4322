"""investigate(request) -> Investigation: ties the chain facts to the casino's ledger.

The service asks the providers (or the cache of settled facts), remembers what it saw of the
tx (`sightings`), works out what changed since an earlier look — replaced, dropped, reorged,
moved — and lets `verdicts.decide` judge. Only here do chain facts meet the database.
"""

from __future__ import annotations

import secrets
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from sqlmodel import Session

from chains import recording
from chains.base import Chain, ChainTx, InvalidAddress, InvalidReference, Outpoint, TransferKind, TxStatus
from chains.http import ContextPool
from chains.providers import Lookup, Outcome, ProviderAnswer, ProviderPool, lookup_together
from chains.references import EVM_CHAINS, candidate_chains, normalize_address, normalize_tx_hash
from chains.tron import addresses as tron_addresses
from investigations import payout_facts, sightings, status_links, verdict_log
from investigations.inputs import MAX_REF_CHARS, UnstorableText, storable_text
from investigations.ledger import (
    DepositAddress,
    LedgerDeposit,
    addresses_among,
    addresses_on_chains,
    deposits_for_tx,
    deposits_for_tx_on,
)
from investigations.models import Investigation
from investigations.payouts import PayoutRecord, as_payout, payout_by_id, payout_for_any_tx
from investigations.sightings import TxSighting
from investigations.types import utcnow
from investigations.verdicts import Facts, Policy, Ticket, Verdict, decide, decide_payout, invalid_input

# A tx seen in a mempool and now unknown to every provider is only called dropped after this long:
# mempools differ, and a wallet may still be rebroadcasting it.
DROP_GRACE = timedelta(minutes=10)


@dataclass(frozen=True)
class InvestigationRequest:
    tx_hash: str
    address: str | None = None
    chain: str | None = None
    player_ref: str | None = None
    ticket_ref: str | None = None
    channel: str | None = None  # where the question came from: lookup, api, cli, or the helpdesk's name
    run_by: str | None = None  # who asked (agent:NAME, token:NAME, cli); None for a helpdesk or a bot


class InvalidInput(Exception):
    """The request cannot be investigated; carries the `invalid_input` verdict to show."""

    def __init__(self, field: str, reason: str, verdict: Verdict) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason
        self.verdict = verdict


@dataclass
class Investigator:
    pools: dict[Chain, ProviderPool]
    policy: Policy
    other_networks: dict[str, ProviderPool] = field(default_factory=dict)  # EVM networks besides Ethereum
    _elsewhere: threading.local = field(default_factory=threading.local, init=False, repr=False, compare=False)
    clock: Callable[[], datetime] = utcnow
    settled_depth: dict[Chain, int] = field(default_factory=lambda: {Chain.BTC: 6, Chain.ETH: 64})
    link_secret: str = field(default_factory=lambda: secrets.token_urlsafe(32), repr=False)
    body_retention: timedelta = timedelta(days=90)  # raw provider answers kept this long for evidence files

    def status_token(self, record: Investigation) -> str:
        """The player's link token of an investigation (the database only holds its hash)."""
        return status_links.token_for(record.id, record.status_nonce, self.link_secret)

    def investigate(self, session: Session, request: InvestigationRequest, *, commit: bool = True) -> Investigation:
        """Decide and store one investigation; raises InvalidInput before touching anything.
        A hash that a payout record names is judged as that payout. `commit=False` only flushes
        it into the caller's transaction (a search commits its page of candidates at once)."""
        payout = self._payout_named(session, request)
        if payout is not None:
            return self.investigate_payout(
                session,
                payout,
                channel=request.channel,
                ticket_ref=request.ticket_ref,
                commit=commit,
                run_by=request.run_by,
            )
        with recording.capture() as tape:
            ticket, verdict = self._decide(session, request)
        record_id, nonce, now = uuid.uuid4().hex, status_links.new_nonce(), self.clock()
        record = Investigation(
            id=record_id,
            chain=ticket.chain.value,
            tx_hash=ticket.tx_hash,
            address=ticket.address,
            player_ref=ticket.player_ref,
            ticket_ref=ticket.ticket_ref,
            status_token_hash=status_links.token_hash(status_links.token_for(record_id, nonce, self.link_secret)),
            status_nonce=nonce,
            created_at=now,
            final_at=now if verdict.final else None,
            history=[],
            channel=(request.channel or "api")[:16],
            run_by=request.run_by[:160] if request.run_by else None,
            **_verdict_columns(verdict),
        )
        session.add(record)
        self._log(session, record, verdict_log.FIRST, None, tape, now)
        if not commit:
            session.flush()
            return record
        _commit_keeping(session, record)
        return record

    # --- Payouts (issue 25) ---------------------------------------------------------------------
    def payout(self, session: Session, payout_id: str) -> PayoutRecord:
        """The payout record by id; InvalidInput naming `payout_id` when there is none."""
        record = payout_by_id(session, payout_id.strip()) if payout_id and len(payout_id) <= MAX_REF_CHARS else None
        if record is None:
            raise self.refusal("payout_id", f"no payout record {payout_id[:40]!r}")
        return record

    def investigate_payout(
        self,
        session: Session,
        payout: PayoutRecord,
        *,
        channel: str | None = None,
        ticket_ref: str | None = None,
        commit: bool = True,
        run_by: str | None = None,
    ) -> Investigation:
        """Judge a payout record against the chain and store it as an investigation (its status link,
        re-checks, notes and evidence work as for a deposit)."""
        if Chain(payout.chain) not in self.pools:
            raise self.refusal("chain", f"no providers are configured for {payout.chain}")
        with recording.capture() as tape:
            verdict = self._decide_payout(session, payout)
        record_id, nonce, now = uuid.uuid4().hex, status_links.new_nonce(), self.clock()
        record = Investigation(
            id=record_id,
            chain=payout.chain,
            tx_hash=payout.tx_hash or "",
            address=payout.to_address,
            player_ref=payout.player_ref,
            ticket_ref=(ticket_ref or "").strip() or None,
            payout_id=payout.payout_id,
            status_token_hash=status_links.token_hash(status_links.token_for(record_id, nonce, self.link_secret)),
            status_nonce=nonce,
            created_at=now,
            final_at=now if verdict.final else None,
            history=[],
            channel=(channel or "api")[:16],
            run_by=run_by[:160] if run_by else None,
            **_verdict_columns(verdict),
        )
        session.add(record)
        self._log(session, record, verdict_log.FIRST, None, tape, now)
        if not commit:
            session.flush()
            return record
        _commit_keeping(session, record)
        return record

    def _decide_payout(self, session: Session, payout: PayoutRecord) -> Verdict:
        chain = Chain(payout.chain)
        decided = as_payout(payout)
        facts = payout_facts.gather(session, self.pools[chain], decided, now=self.clock(), settled=self._settled)
        return decide_payout(decided, facts, self.policy)

    def _payout_named(self, session: Session, request: InvestigationRequest) -> PayoutRecord | None:
        if not request.tx_hash or not request.tx_hash.strip():
            return None
        try:
            tickets = self.tickets_for(request)
        except InvalidInput:
            return None  # investigate() refuses it with the reason
        return payout_for_any_tx(session, [(ticket.chain, ticket.tx_hash) for ticket in tickets])

    def _recheck_payout(self, session: Session, record: Investigation) -> Investigation:
        payout = payout_by_id(session, record.payout_id or "")
        if payout is None:  # the casino withdrew the record: keep the last verdict, stop re-checking
            record.next_check_at = None
            session.add(record)
            session.commit()
            return record
        with recording.capture() as tape:
            verdict = self._decide_payout(session, payout)
        previous = {
            "at": (record.verdict.get("checked_at") or record.created_at.isoformat()),
            "code": record.code,
            "final": record.final,
        }
        record.history = [*(record.history or []), previous]
        record.tx_hash = payout.tx_hash or ""
        for column, value in _verdict_columns(verdict).items():
            setattr(record, column, value)
        if verdict.final and record.final_at is None:
            record.final_at = self.clock()
        session.add(record)
        self._log(session, record, verdict_log.RECHECK, previous["code"], tape, self.clock())
        session.commit()
        session.refresh(record)
        return record

    def recheck(self, session: Session, record: Investigation) -> Investigation:
        """Look again at a non-final investigation; the earlier verdict goes to its history."""
        if record.payout_id:
            return self._recheck_payout(session, record)
        # A bare 64-hex hash never located may be on the other candidate chain: let detection try again.
        unlocated = record.code in ("not_found", "provider_unavailable") and not record.tx_hash.startswith("0x")
        chain = None if unlocated else record.chain
        request = InvestigationRequest(record.tx_hash, record.address, chain, record.player_ref, record.ticket_ref)
        with recording.capture() as tape:
            _ticket, verdict = self._decide(session, request)
        previous = {
            "at": (record.verdict.get("checked_at") or record.created_at.isoformat()),
            "code": record.code,
            "final": record.final,
        }
        record.history = [*(record.history or []), previous]
        for column, value in _verdict_columns(verdict).items():
            setattr(record, column, value)
        if verdict.final and record.final_at is None:
            record.final_at = self.clock()
        session.add(record)
        self._log(session, record, verdict_log.RECHECK, previous["code"], tape, self.clock())
        session.commit()
        session.refresh(record)
        return record

    def chain_status(self, session: Session, tx_hash: str) -> tuple[Chain, Lookup]:
        """What the chain alone says of a hash, for callers who may not see the ledger: no ledger rows
        are read and nothing is recorded. Raises InvalidInput for a malformed hash."""
        ticket, lookup, _sighting = self._locate(session, self.tickets_for(InvestigationRequest(tx_hash)))
        return ticket.chain, lookup

    @staticmethod
    def _log(
        session: Session, record: Investigation, kind: str, previous: str | None, tape: recording.Tape, at: datetime
    ) -> None:
        """The check as given (verdict and evidence) and the providers' answers it rests on."""
        verdict = {**record.verdict, "evidence": record.evidence}
        verdict_log.record(
            session, record.id, verdict, at=at, kind=kind, previous_code=previous, exchanges=tape.exchanges
        )

    def _decide(self, session: Session, request: InvestigationRequest) -> tuple[Ticket, Verdict]:
        ticket, lookup, sighting = self._locate(session, self.tickets_for(request))
        facts = self._gather(session, ticket, lookup, sighting)
        return ticket, decide(ticket, facts, self.policy)

    def refusal(self, field: str, reason: str) -> InvalidInput:
        """The invalid_input answer for input refused before any lookup (e.g. a test-network link)."""
        return InvalidInput(field, reason, invalid_input(f"{field}: {reason}", now=self.clock()))

    def tickets_for(self, request: InvestigationRequest) -> list[Ticket]:
        """The request as a Ticket on each configured chain it could be on, most likely first."""
        now = self.clock()

        def refuse(field: str, reason: str) -> InvalidInput:
            return InvalidInput(field, reason, invalid_input(f"{field}: {reason}", now=now))

        try:
            if request.chain:
                try:
                    chains = [Chain(request.chain.strip().lower())]
                except ValueError:
                    supported = ", ".join(c.value for c in Chain)
                    raise refuse("chain", f"{request.chain!r} is not a supported chain ({supported})") from None
                if chains[0] not in self.pools:
                    raise refuse("chain", f"no providers are configured for {chains[0].value} (see EVM_NETWORKS)")
                if chains[0] in EVM_CHAINS:  # the same hash may be on another EVM network: asked at once
                    chains += [
                        c for c in candidate_chains(request.tx_hash, None) if c in EVM_CHAINS and c not in chains
                    ]
            else:
                chains = candidate_chains(request.tx_hash, request.address)
        except InvalidReference as exc:
            raise refuse("address" if isinstance(exc, InvalidAddress) else "tx_hash", str(exc)) from exc
        for name, value in (("player_ref", request.player_ref), ("ticket_ref", request.ticket_ref)):
            try:
                storable_text(value or "")
            except UnstorableText as exc:
                raise refuse(name, str(exc)) from None
            if len((value or "").strip()) > MAX_REF_CHARS:
                raise refuse(name, f"is longer than {MAX_REF_CHARS} characters")
        configured = [c for c in chains if c in self.pools]
        if not configured:
            raise refuse("chain", f"no providers are configured for {', '.join(c.name for c in chains)}")
        tickets = []
        for chain in configured:
            try:
                tx_hash = normalize_tx_hash(chain, request.tx_hash)
            except InvalidReference as exc:
                raise refuse("tx_hash", str(exc)) from exc
            address = None
            if request.address and request.address.strip():
                try:
                    address = normalize_address(chain, request.address)
                except InvalidReference as exc:
                    raise refuse("address", str(exc)) from exc
            tickets.append(
                Ticket(
                    chain=chain,
                    tx_hash=tx_hash,
                    address=address,
                    player_ref=(request.player_ref or "").strip() or None,
                    ticket_ref=(request.ticket_ref or "").strip() or None,
                )
            )
        return tickets

    def _locate(self, session: Session, tickets: list[Ticket]) -> tuple[Ticket, Lookup, TxSighting | None]:
        """Ask each candidate chain in turn (settled facts from the cache); the first that knows the tx wins.
        The EVM networks are asked together, at once: one round trip, and the network that knows it decides."""
        self._elsewhere.ledger = (None, {})  # what an earlier look prefetched is never used here
        answers: list[ProviderAnswer] = []
        unavailable = False
        first: tuple[Ticket, TxSighting | None] | None = None
        several = len(tickets) > 1
        loaded = self._sightings(session, tickets)
        evm = [ticket for ticket in tickets if ticket.chain in EVM_CHAINS]
        on_every_network: dict[str, Lookup] | None = None
        prefetched, on_every_network = self._ask_at_once(tickets, loaded, evm)
        for ticket in tickets:
            sighting = loaded[ticket.chain]
            if ticket.chain in EVM_CHAINS:
                settled = next((t for t in evm if loaded[t.chain] is not None and loaded[t.chain].settled), None)
                if settled is not None:
                    ticket, sighting = settled, loaded[settled.chain]
            if sighting is not None and sighting.settled:
                detail = f"settled in block {sighting.block_height}; not asked again"
                cached = Lookup(Outcome.FOUND, sighting.tx, [ProviderAnswer("cache", "confirmed", detail)], cached=True)
                return ticket, cached, sighting
            if ticket.chain in EVM_CHAINS and (self.other_networks or len(evm) > 1):
                if on_every_network is None:
                    candidates = [t.chain for t in evm]
                    on_every_network = self._lookup_on_every_network(
                        ticket.tx_hash,
                        candidates,
                        meanwhile=partial(self._prefetch_ledger, session, ticket.tx_hash, candidates),
                    )
                known = next((t for t in evm if on_every_network[t.chain.value].outcome is Outcome.FOUND), None)
                if known is not None and known is not ticket:
                    continue  # found on a later EVM network of the list: that one decides
                lookup = on_every_network[ticket.chain.value]
            elif ticket.chain in prefetched:
                lookup = prefetched[ticket.chain]
            else:
                lookup = self.pools[ticket.chain].lookup(ticket.tx_hash)
            mine = (
                [replace(a, chain=a.chain or ticket.chain.value) for a in lookup.answers] if several else lookup.answers
            )
            if lookup.outcome is Outcome.FOUND:
                return ticket, replace(lookup, answers=answers + mine), sighting
            if first is None or sighting is not None:  # a chain that saw the tx before is where it belongs
                first = (ticket, sighting)
                # Unreachable providers count only on the chain the verdict is about (the likeliest
                # reading, or the one that saw the tx before): a mistyped Bitcoin txid that Bitcoin's
                # providers all say they do not know is not_found, even when Ethereum (the less likely
                # reading of a bare hex hash) could not be asked; of the EVM networks, the ticket's own
                # counts (a network with one provider can never confirm "unknown").
                unavailable = lookup.outcome is Outcome.UNAVAILABLE
            answers += mine
        assert first is not None
        outcome = Outcome.UNAVAILABLE if unavailable else Outcome.NOT_FOUND
        return first[0], Lookup(outcome, None, answers), first[1]

    @staticmethod
    def _sightings(session: Session, tickets: list[Ticket]) -> dict[Chain, TxSighting | None]:
        """What we saw of the hash on each candidate chain before: one query for the tickets that
        share a hash (the EVM networks'), one for each other."""
        loaded: dict[Chain, TxSighting | None] = {}
        for tx_hash in dict.fromkeys(ticket.tx_hash for ticket in tickets):
            loaded |= sightings.load_each(session, [t.chain for t in tickets if t.tx_hash == tx_hash], tx_hash)
        return loaded

    def _ask_at_once(
        self, tickets: list[Ticket], loaded: dict[Chain, TxSighting | None], evm: list[Ticket]
    ) -> tuple[dict[Chain, Lookup], dict[str, Lookup] | None]:
        """Issue 24: a hash that may be TRON's or another chain's (bare 64 hex) is asked of every
        candidate chain at once, one round trip: the chain that knows it decides, and no chain's
        "not found" stands for one that was not asked. Bitcoin and TRON go to the pool's threads;
        the EVM networks are asked here (their other networks' answers are kept in this thread).
        Without TRON among the candidates the order stays as it was."""
        if len(tickets) < 2 or not any(t.chain is Chain.TRON for t in tickets):
            return {}, None
        if any(s is not None and s.settled for s in loaded.values()):
            return {}, None  # settled facts from the cache answer without asking anyone
        others = [t for t in tickets if t.chain not in EVM_CHAINS]
        every: dict[str, Lookup] | None = None
        found: dict[Chain, Lookup] = {}
        with ContextPool(max_workers=len(others)) as executor:  # the capture of answers follows
            futures = {t.chain: executor.submit(self.pools[t.chain].lookup, t.tx_hash) for t in others}
            if evm and (self.other_networks or len(evm) > 1):
                every = self._lookup_on_every_network(evm[0].tx_hash, [t.chain for t in evm])
            elif evm:
                found[evm[0].chain] = self.pools[evm[0].chain].lookup(evm[0].tx_hash)
            found |= {chain: future.result() for chain, future in futures.items()}
        return found, every

    def _gather(self, session: Session, ticket: Ticket, lookup: Lookup, sighting: TxSighting | None) -> Facts:
        now = self.clock()
        facts = Facts(lookup=lookup, deposit_addresses={}, ledger=[], now=now)
        tx = lookup.tx
        if tx is not None:
            self._compare_with_sighting(facts, tx, sighting)
        elif sighting is not None:
            self._explain_absence(session, facts, ticket, sighting, lookup)
        if lookup.outcome is Outcome.NOT_FOUND and ticket.chain in EVM_CHAINS and not facts.reorged_from:
            facts.elsewhere = self._on_other_network(session, ticket, lookup)
            if facts.elsewhere is not None:
                facts.issued_for = ticket.chain.value
        if ticket.chain in EVM_CHAINS:  # this network's addresses and the other networks' in one query
            on_networks = addresses_on_chains(session, EVM_CHAINS, self._payees(ticket, [tx, facts.elsewhere]))
            facts.deposit_addresses = on_networks.get(ticket.chain, {})
            if tx is not None and tx.status is not TxStatus.FAILED:
                self._issued_for_another_network(facts, ticket, tx, on_networks)
        else:
            facts.deposit_addresses = self._casino_addresses(session, ticket, [tx, facts.elsewhere])
        trace = sighting.trace if sighting is not None and lookup.cached else "not_needed"
        traced_now = False
        if tx is not None and trace != "done" and self._needs_internal_transfers(tx, facts.deposit_addresses):
            internal = self.pools[ticket.chain].trace(ticket.tx_hash)
            traced_now = internal is not None
            if internal is None:
                facts.needs_trace, trace = True, "unavailable"
            else:
                tx.transfers.extend(internal)
                trace = "done"
                facts.deposit_addresses = self._casino_addresses(session, ticket, [tx])
        if tx is not None and (not lookup.cached or traced_now):
            settled = self._settled(tx) and not lookup.disputed and not lookup.unheard and not lookup.partial
            sighting = sightings.record_seen(session, sighting, tx, now=now, settled=settled, trace=trace)
        if sighting is not None:
            facts.history = list(sighting.history)
        facts.ledger = self._ledger_rows(session, ticket)
        paid_tx = facts.elsewhere or tx
        if paid_tx is not None and not any(t.to_address in facts.deposit_addresses for t in paid_tx.transfers):
            facts.other_family = other_family(session, paid_tx)
        return facts

    def _settled(self, tx: ChainTx) -> bool:
        """Deep enough that a reorg is no practical risk, and past what the policy itself waits for
        (its confirmations, or finality): its chain facts are then cached for good."""
        if tx.status is not TxStatus.CONFIRMED and tx.status is not TxStatus.FAILED:
            return False
        if self.policy.finality.get(tx.chain) in ("finalized", "safe"):  # the block tag the adapter asked for
            return tx.finalized is True
        required = self.policy.required_confirmations[tx.chain]
        if tx.finalized is True and tx.confirmations >= required:
            return True
        return tx.confirmations >= max(self.settled_depth[tx.chain], required)

    @staticmethod
    def _compare_with_sighting(facts: Facts, tx: ChainTx, sighting: TxSighting | None) -> None:
        if sighting is None or not sighting.was_confirmed:
            return
        earlier = {
            "block_height": sighting.block_height,
            "block_hash": sighting.block_hash,
            "seen_at": sighting.last_seen_at.isoformat(),
        }
        if tx.status is TxStatus.MEMPOOL:
            facts.reorged_from = earlier  # its block left the main chain; it waits for another one
        elif tx.block_hash != sighting.block_hash:
            facts.moved_from = earlier

    def _explain_absence(
        self, session: Session, facts: Facts, ticket: Ticket, sighting: TxSighting, lookup: Lookup
    ) -> None:
        """Unknown now, seen before: replaced, reorged out, or dropped — or not decidable yet."""
        now = facts.now
        facts.previously_seen = {
            "status": sighting.status,
            "block_height": sighting.block_height,
            "block_hash": sighting.block_hash,
            "seen_at": sighting.last_seen_at.isoformat(),
        }
        pool = self.pools[ticket.chain]
        spends_known = True
        if ticket.chain is Chain.BTC:
            replacement, spends_known = self._replacement(ticket, sighting)
            if replacement is not None:
                facts.replaced_by = replacement
                sightings.record_gone(session, sighting, now=now, status="replaced")
                return
        if sighting.was_confirmed:
            in_main_chain = pool.block_in_main_chain(sighting.block_hash or "", sighting.block_height)
            if in_main_chain is False:
                facts.reorged_from = {
                    "block_height": sighting.block_height,
                    "block_hash": sighting.block_hash,
                    "seen_at": sighting.last_seen_at.isoformat(),
                }
                sightings.record_gone(session, sighting, now=now, status="reorged")
            elif in_main_chain is True:
                # Its block is still in the main chain, so the providers lost an old tx: do not trust "unknown".
                lookup.outcome = Outcome.UNAVAILABLE
            return
        # Dropped only when we could check that no other tx spent its inputs.
        if spends_known and lookup.outcome is Outcome.NOT_FOUND and now - sighting.last_seen_at >= DROP_GRACE:
            facts.dropped = True
            sightings.record_gone(session, sighting, now=now, status="dropped")

    def _casino_addresses(
        self, session: Session, ticket: Ticket, txs: list[ChainTx | None]
    ) -> dict[str, DepositAddress]:
        return addresses_among(session, ticket.chain, self._payees(ticket, txs))

    @staticmethod
    def _payees(ticket: Ticket, txs: list[ChainTx | None]) -> list[str]:
        addresses = [t.to_address for tx in txs if tx for t in tx.transfers if t.to_address]
        if ticket.address:
            addresses.append(ticket.address)
        return addresses

    def _ledger_rows(self, session: Session, ticket: Ticket) -> list[LedgerDeposit]:
        """The casino's ledger rows of the ticket's tx: read while the providers were being asked
        when that was done (`_prefetch_ledger`), otherwise now."""
        prefetched_hash, rows = getattr(self._elsewhere, "ledger", (None, {}))
        self._elsewhere.ledger = (None, {})
        if prefetched_hash == ticket.tx_hash and ticket.chain in rows:
            return rows[ticket.chain]
        return deposits_for_tx(session, ticket.chain, ticket.tx_hash)

    def _prefetch_ledger(self, session: Session, tx_hash: str, chains: list[Chain]) -> None:
        """The ledger rows of the hash on each candidate network, read while its lookups are out
        (the answer only says which network's rows the verdict uses)."""
        self._elsewhere.ledger = (tx_hash, deposits_for_tx_on(session, chains, tx_hash))

    @staticmethod
    def _issued_for_another_network(
        facts: Facts, ticket: Ticket, tx: ChainTx, on_networks: dict[Chain, dict[str, DepositAddress]]
    ) -> None:
        """Found on this EVM network, paying none of its casino addresses, but an address issued for
        another EVM network (the same key controls it here): wrong_network, naming both."""
        paid = [t.to_address for t in tx.transfers if t.to_address and t.kind is not TransferKind.INTENDED]
        if not paid or any(address in facts.deposit_addresses for address in paid):
            return
        for chain in EVM_CHAINS:
            if chain is ticket.chain:
                continue
            theirs = {address: row for address, row in on_networks.get(chain, {}).items() if address in paid}
            if theirs:
                facts.elsewhere, facts.issued_for = tx, chain.value
                facts.deposit_addresses = theirs
                return

    @staticmethod
    def _needs_internal_transfers(tx: ChainTx, ours: dict[str, DepositAddress]) -> bool:
        """A mined contract call that pays none of our addresses directly may pay one internally."""
        return (
            tx.chain in EVM_CHAINS
            and tx.contract_call
            and tx.status is TxStatus.CONFIRMED
            and not any(t.to_address in ours for t in tx.transfers)
        )

    def _lookup_on_every_network(
        self, tx_hash: str, chains: list[Chain], *, meanwhile: Callable[[], None] | None = None
    ) -> dict[str, Lookup]:
        """The candidate EVM chains and every other configured EVM network asked at once (one round
        trip), by network name; the answers of networks that are no candidate are kept for
        _on_other_network of this same investigation (this thread)."""
        pools = {chain.value: self.pools[chain] for chain in chains}
        pools |= {name: pool for name, pool in self.other_networks.items() if name not in pools}
        # Every network's pool driven from this thread (chains.providers.lookup_together): each
        # first request leaves before any answer is awaited, and no thread hop per network.
        looked_up = lookup_together([(pool, tx_hash) for pool in pools.values()], meanwhile)
        results = dict(zip(pools, looked_up, strict=True))  # in the order of the networks, as before
        asked = {chain.value for chain in chains}
        self._elsewhere.answers = (tx_hash, {n: r for n, r in results.items() if n not in asked})
        return results

    def _on_other_network(self, session: Session, ticket: Ticket, lookup: Lookup) -> ChainTx | None:
        """The tx on another EVM network (not a candidate of this ticket) when it pays one of our
        (same-key) addresses of the ticket's network there."""
        asked_hash, asked = getattr(self._elsewhere, "answers", (None, {}))
        self._elsewhere.answers = (None, {})
        for network, pool in self.other_networks.items():
            if asked_hash == ticket.tx_hash and network not in asked:
                continue  # a candidate network: its answer is already in the lookup
            elsewhere = (
                asked[network] if asked_hash == ticket.tx_hash and network in asked else pool.lookup(ticket.tx_hash)
            )
            lookup.answers.extend(
                ProviderAnswer(f"{network}:{a.provider}", a.answer, a.detail) for a in elsewhere.answers
            )
            tx = elsewhere.tx
            if tx is None:
                continue
            ours = self._casino_addresses(session, replace(ticket, address=None), [tx])
            if any(t.to_address in ours for t in tx.transfers) or other_family(session, tx) is not None:
                return tx
        return None

    def _replacement(self, ticket: Ticket, sighting: TxSighting) -> tuple[str | None, bool]:
        """The txid that spent an input of the tx we saw before ("unknown" if a provider cannot name it),
        and whether every input could be checked."""
        pool = self.pools[ticket.chain]
        checked = True
        for outpoint in sighting.tx.inputs:
            spend = pool.spend_of(Outpoint(outpoint.txid, outpoint.vout))
            if spend is None:
                checked = False
            elif spend.spent and spend.spending_txid != ticket.tx_hash:
                return spend.spending_txid or "unknown", True
        return None, checked


def other_family(session: Session, tx: ChainTx) -> dict[str, Any] | None:
    """Issue 24: what `tx` paid to the other family's form of one of our deposit addresses (the same
    20 bytes): a TRON tx to the T form of an address issued on an EVM network, or an EVM tx to the
    0x form of a TRON deposit address. None when it paid none."""
    if tx.chain is Chain.TRON:
        forms = {t.to_address: tron_addresses.to_evm(t.to_address) for t in tx.transfers if t.to_address}
        issued_on: tuple[Chain, ...] = EVM_CHAINS
    elif tx.chain in EVM_CHAINS:
        forms = {
            t.to_address: tron_addresses.from_evm(t.to_address)
            for t in tx.transfers
            if t.to_address and len(t.to_address) == 42
        }
        issued_on = (Chain.TRON,)
    else:
        return None
    for issued in issued_on:
        rows = addresses_among(session, issued, forms.values())
        paid = {paid_to: rows[form] for paid_to, form in forms.items() if form in rows}
        if paid:
            return {"issued": issued, "addresses": paid}
    return None


def _commit_keeping(session: Session, record: Investigation) -> None:
    """Commit a new investigation without reading it back: every column of it was set here, and its
    JSON is JSON already (what is stored is what it holds), so a refresh would only repeat a query
    on every lookup. Whatever else the session holds is expired as a commit does."""
    expire = session.expire_on_commit
    session.expire_on_commit = False
    try:
        session.commit()
    finally:
        session.expire_on_commit = expire
    if expire:
        for instance in list(session.identity_map.values()):
            if instance is not record:
                session.expire(instance)


def _verdict_columns(verdict: Verdict) -> dict[str, Any]:
    return {
        "code": verdict.code.value,
        "final": verdict.final,
        "verdict": verdict.as_dict() | {"checked_at": verdict.evidence.get("checked_at")},
        "evidence": verdict.evidence,
        "next_check_at": verdict.next_check_at,
    }
