"""investigate(request) -> Investigation: ties the chain facts to the casino's ledger."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from chains.base import Chain, ChainTx, InvalidAddress, InvalidReference, Outpoint, TxStatus
from chains.providers import Lookup, Outcome, ProviderAnswer, ProviderPool
from chains.references import candidate_chains, normalize_address, normalize_tx_hash
from investigations.ledger import DepositAddress, addresses_among, deposits_for_tx
from investigations.models import Investigation
from investigations.types import utcnow
from investigations.verdicts import Facts, Policy, Ticket, Verdict, decide, invalid_input


@dataclass(frozen=True)
class InvestigationRequest:
    tx_hash: str
    address: str | None = None
    chain: str | None = None
    player_ref: str | None = None
    ticket_ref: str | None = None


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
    clock: Callable[[], datetime] = utcnow

    def investigate(self, session: Session, request: InvestigationRequest) -> Investigation:
        """Decide and store one investigation; raises InvalidInput before touching anything."""
        ticket, lookup = self._locate(self.tickets_for(request))
        facts = self._gather(session, ticket, lookup)
        verdict = decide(ticket, facts, self.policy)
        record = Investigation(
            id=uuid.uuid4().hex,
            chain=ticket.chain.value,
            tx_hash=ticket.tx_hash,
            address=ticket.address,
            player_ref=ticket.player_ref,
            ticket_ref=ticket.ticket_ref,
            code=verdict.code.value,
            final=verdict.final,
            verdict=verdict.as_dict(),
            evidence=verdict.evidence,
            chain_facts=_snapshot(lookup.tx) if lookup.tx else None,
            status_token=secrets.token_urlsafe(24),
            created_at=facts.now,
            next_check_at=verdict.next_check_at,
        )
        session.add(record)
        session.commit()
        session.refresh(record)
        return record

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
                    raise refuse("chain", f"{request.chain!r} is not a supported chain (btc or eth)") from None
            else:
                chains = candidate_chains(request.tx_hash, request.address)
        except InvalidReference as exc:
            raise refuse("address" if isinstance(exc, InvalidAddress) else "tx_hash", str(exc)) from exc
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

    def _locate(self, tickets: list[Ticket]) -> tuple[Ticket, Lookup]:
        """Ask each candidate chain in turn; the first that knows the tx wins."""
        answers: list[ProviderAnswer] = []
        unavailable = False
        for ticket in tickets:
            lookup = self.pools[ticket.chain].lookup(ticket.tx_hash)
            if lookup.outcome is Outcome.FOUND:
                return ticket, replace(lookup, answers=answers + lookup.answers)
            unavailable = unavailable or lookup.outcome is Outcome.UNAVAILABLE
            answers += lookup.answers
        outcome = Outcome.UNAVAILABLE if unavailable else Outcome.NOT_FOUND
        return tickets[0], Lookup(outcome, None, answers)

    def _gather(self, session: Session, ticket: Ticket, lookup: Lookup) -> Facts:
        now = self.clock()
        facts = Facts(lookup=lookup, deposit_addresses={}, ledger=[], now=now)
        tx = lookup.tx
        if lookup.outcome is not Outcome.FOUND:
            facts.previously_seen = _last_sighting(session, ticket)
            if facts.previously_seen and ticket.chain is Chain.BTC:
                facts.replaced_by = self._replacement(ticket, facts.previously_seen)
        if lookup.outcome is Outcome.NOT_FOUND and ticket.chain is Chain.ETH:
            facts.elsewhere = self._on_other_network(session, ticket, lookup)
        facts.deposit_addresses = self._casino_addresses(session, ticket, [tx, facts.elsewhere])
        if tx is not None and self._needs_internal_transfers(tx, facts.deposit_addresses):
            internal = self.pools[ticket.chain].trace(ticket.tx_hash)
            if internal is None:
                facts.needs_trace = True
            else:
                tx.transfers.extend(internal)
                facts.deposit_addresses = self._casino_addresses(session, ticket, [tx])
        facts.ledger = deposits_for_tx(session, ticket.chain, ticket.tx_hash)
        return facts

    def _casino_addresses(
        self, session: Session, ticket: Ticket, txs: list[ChainTx | None]
    ) -> dict[str, DepositAddress]:
        addresses = [t.to_address for tx in txs if tx for t in tx.transfers if t.to_address]
        if ticket.address:
            addresses.append(ticket.address)
        return addresses_among(session, ticket.chain, addresses)

    @staticmethod
    def _needs_internal_transfers(tx: ChainTx, ours: dict[str, DepositAddress]) -> bool:
        """A mined contract call that pays none of our addresses directly may pay one internally."""
        return (
            tx.chain is Chain.ETH
            and tx.contract_call
            and tx.status is TxStatus.CONFIRMED
            and not any(t.to_address in ours for t in tx.transfers)
        )

    def _on_other_network(self, session: Session, ticket: Ticket, lookup: Lookup) -> ChainTx | None:
        """The tx on another EVM network when it pays one of our (same-key) Ethereum addresses there."""
        for network, pool in self.other_networks.items():
            elsewhere = pool.lookup(ticket.tx_hash)
            lookup.answers.extend(
                ProviderAnswer(f"{network}:{a.provider}", a.answer, a.detail) for a in elsewhere.answers
            )
            tx = elsewhere.tx
            if tx is None:
                continue
            ours = self._casino_addresses(session, replace(ticket, address=None), [tx])
            if any(t.to_address in ours for t in tx.transfers):
                return tx
        return None

    def _replacement(self, ticket: Ticket, seen: dict[str, Any]) -> str | None:
        """The txid that spent an input of the tx we saw before, if one did."""
        pool = self.pools[ticket.chain]
        for text in seen.get("inputs", []):
            txid, _, vout = text.rpartition(":")
            spend = pool.spend_of(Outpoint(txid=txid, vout=int(vout)))
            if spend and spend.spent and spend.spending_txid and spend.spending_txid != ticket.tx_hash:
                return spend.spending_txid
        return None


def _snapshot(tx: ChainTx) -> dict[str, Any]:
    return {
        "status": tx.status.value,
        "block_height": tx.block_height,
        "block_hash": tx.block_hash,
        "confirmations": tx.confirmations,
        "inputs": [f"{i.txid}:{i.vout}" for i in tx.inputs],
        "providers": tx.providers,
    }


def _last_sighting(session: Session, ticket: Ticket) -> dict[str, Any] | None:
    """What an earlier investigation saw of this tx on chain, with when."""
    row = session.exec(
        select(Investigation)
        .where(
            Investigation.chain == ticket.chain.value,
            Investigation.tx_hash == ticket.tx_hash,
            col(Investigation.chain_facts).is_not(None),
        )
        .order_by(col(Investigation.created_at).desc())
        .limit(1)
    ).first()
    if row is None or not row.chain_facts:
        return None
    return {**row.chain_facts, "seen_at": row.created_at.isoformat(), "investigation_id": row.id}
