"""investigate(request) -> Investigation: ties the chain facts to the casino's ledger."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from chains.base import Chain, ChainTx, InvalidAddress, InvalidReference, Outpoint
from chains.providers import Lookup, Outcome, ProviderPool
from chains.references import candidate_chains, normalize_address, normalize_tx_hash
from investigations.ledger import addresses_among, deposits_for_tx
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


class Investigator:
    def __init__(
        self,
        pools: dict[Chain, ProviderPool],
        policy: Policy,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.pools = pools
        self.policy = policy
        self.clock = clock

    def investigate(self, session: Session, request: InvestigationRequest) -> Investigation:
        """Decide and store one investigation; raises InvalidInput before touching anything."""
        ticket = self.ticket_for(request)
        lookup = self._lookup(ticket)
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

    def ticket_for(self, request: InvestigationRequest) -> Ticket:
        """Validate and normalize the request into a Ticket on a configured chain."""
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
            field = "address" if isinstance(exc, InvalidAddress) else "tx_hash"
            raise refuse(field, str(exc)) from exc
        configured = [c for c in chains if c in self.pools]
        if not configured:
            names = ", ".join(c.name for c in chains)
            raise refuse("chain", f"no providers are configured for {names}")
        chain = configured[0]
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
        return Ticket(
            chain=chain,
            tx_hash=tx_hash,
            address=address,
            player_ref=(request.player_ref or "").strip() or None,
            ticket_ref=(request.ticket_ref or "").strip() or None,
        )

    def _lookup(self, ticket: Ticket) -> Lookup:
        return self.pools[ticket.chain].lookup(ticket.tx_hash)

    def _gather(self, session: Session, ticket: Ticket, lookup: Lookup) -> Facts:
        now = self.clock()
        replaced_by = None
        previously_seen = None
        if lookup.outcome is not Outcome.FOUND:
            previously_seen = _last_sighting(session, ticket)
            if previously_seen:
                replaced_by = self._replacement(ticket, previously_seen)
        addresses = [t.to_address for t in lookup.tx.transfers if t.to_address] if lookup.tx else []
        if ticket.address:
            addresses.append(ticket.address)
        return Facts(
            lookup=lookup,
            deposit_addresses=addresses_among(session, ticket.chain, addresses),
            ledger=deposits_for_tx(session, ticket.chain, ticket.tx_hash),
            now=now,
            replaced_by=replaced_by,
            previously_seen=previously_seen,
        )

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
