"""Verdict codes and the one procedure that decides between them.

Precedence (the first rule that applies wins; each is tested):

 1. ``invalid_input``        the hash or address is malformed or of no supported chain
 2. ``replaced``             an input of the tx we saw before is now spent by another tx (BTC)
 3. ``reorged``              we saw it in a block that has left the main chain (gone, or back in the mempool)
 4. ``dropped``              we saw it in a mempool; now no provider knows it, and it was not replaced
 5. ``wrong_network``        unknown on its chain, but on another EVM network it pays a casino address
 6. ``not_found``            every provider asked (at least two when two are configured) says unknown
 7. ``provider_unavailable`` too few providers answered, or a contract call needs a trace none can give
 8. ``failed``               included in a block but reverted (EVM receipt status 0): nothing moved
 9. ``address_mismatch``     the ticket's wallet address is neither a recipient nor a sender of the tx
10. ``not_our_address``      nothing in the tx pays a casino deposit address
11. ``other_player_address`` everything paid to the casino went to other players' addresses
12. ``unsupported_asset``    what reached the ticket's address is an asset that address does not accept
13. ``already_claimed``      the ledger books this tx for another player than the rightful one
14. ``below_minimum``        what reached the player's address is under the asset's minimum (and not credited)
15. ``pending``              0 confirmations
16. ``confirming``           fewer confirmations than required (or, with ETH_FINALITY=finalized, not yet
                             final), or providers disagree about a recent block
17. per paid address and asset, the worst of ``amount_mismatch`` > ``confirmed_not_credited`` > ``credited``

Codes decided from the tx's contents (9-14) are final only once the tx is confirmed: a mempool
tx can still be replaced or dropped. When providers disagree (one does not know a tx another
sees in a recent block), no verdict is final and none reaches past ``confirming``; the evidence
names each provider's answer. Rules 9-17 look only at the transfers that concern the ticket:
those paying the ticket's player (or the ticket's casino address) when the ticket names one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from chains.assets import AssetRegistry, format_amount
from chains.base import Chain, ChainTx, Transfer, TransferKind, TxStatus
from chains.ethereum.networks import EvmNetwork, wrong_network
from chains.providers import Lookup, Outcome
from investigations.evidence import amount, ledger_evidence, transfers_evidence, tx_evidence
from investigations.ledger import DepositAddress, LedgerDeposit
from investigations.messages import player_messages
from investigations.payments import Paid, Payments


class Code(StrEnum):
    INVALID_INPUT = "invalid_input"
    NOT_FOUND = "not_found"
    PENDING = "pending"
    CONFIRMING = "confirming"
    CREDITED = "credited"
    CONFIRMED_NOT_CREDITED = "confirmed_not_credited"
    AMOUNT_MISMATCH = "amount_mismatch"
    NOT_OUR_ADDRESS = "not_our_address"
    OTHER_PLAYER_ADDRESS = "other_player_address"
    ADDRESS_MISMATCH = "address_mismatch"
    FAILED = "failed"
    REPLACED = "replaced"
    DROPPED = "dropped"
    REORGED = "reorged"
    UNSUPPORTED_ASSET = "unsupported_asset"
    WRONG_NETWORK = "wrong_network"
    BELOW_MINIMUM = "below_minimum"
    ALREADY_CLAIMED = "already_claimed"
    PROVIDER_UNAVAILABLE = "provider_unavailable"


# --- Public replies (issue 26) -----------------------------------------------------------------
# The codes whose player reply may go onto a ticket publicly, with no agent: each says only what
# the status link shows and needs no decision by a person. A code is public ONLY when it is listed
# here: a code added later (for example a new payout code) stays private until someone lists it.
# Payout codes are named as strings, so this list does not depend on when they join the enum;
# payout_pending / payout_confirming / payout_delivered only report a withdrawal under way or done.
PUBLIC_REPLY_CODES: frozenset[str] = frozenset(
    {
        "pending",
        "confirming",
        "credited",
        "payout_pending",
        "payout_confirming",
        "payout_delivered",
    }
)


def public_reply_allowed(code: str) -> bool:
    """Whether a verdict with `code` may be answered publicly without an agent."""
    return code in PUBLIC_REPLY_CODES


def refused_public_codes(codes: list[str]) -> list[str]:
    """The codes of `codes` that must never be answered by the bot (for the start-up check)."""
    return [code for code in codes if not public_reply_allowed(code)]


# --- Severity (issue 30) --------------------------------------------------------------------
# Every code has a level, and every page (card, lists, search, audit, dashboard, status page, notes)
# takes its colour, symbol and sort order from it. A new code must be given a level here (a test
# checks that every Code has one); codes are named as strings so codes added elsewhere (payout_*)
# can be listed before or after they join the enum.
class Level(StrEnum):
    NEEDS_ACTION = "needs_action"  # a person must act: credit, refund, correct, decide
    WATCH = "watch"  # moving or not yet decidable: re-checked by itself, look again later
    CANNOT_TELL = "cannot_tell"  # we could not find out (bad input, providers): ask or retry
    FINE = "fine"  # nothing to do: done, or nothing of ours happened


LEVEL_ORDER: tuple[Level, ...] = (Level.NEEDS_ACTION, Level.WATCH, Level.CANNOT_TELL, Level.FINE)

LEVELS: dict[str, Level] = {
    "confirmed_not_credited": Level.NEEDS_ACTION,
    "amount_mismatch": Level.NEEDS_ACTION,
    "wrong_network": Level.NEEDS_ACTION,
    "already_claimed": Level.NEEDS_ACTION,
    "other_player_address": Level.NEEDS_ACTION,
    "unsupported_asset": Level.NEEDS_ACTION,
    "below_minimum": Level.NEEDS_ACTION,
    "address_mismatch": Level.NEEDS_ACTION,
    "pending": Level.WATCH,
    "confirming": Level.WATCH,
    "reorged": Level.WATCH,
    "replaced": Level.WATCH,
    "not_found": Level.WATCH,
    "dropped": Level.WATCH,
    "invalid_input": Level.CANNOT_TELL,
    "provider_unavailable": Level.CANNOT_TELL,
    "not_our_address": Level.FINE,
    "failed": Level.FINE,
    "credited": Level.FINE,
}


def level(code: str) -> Level:
    """The severity of `code`; an unknown code (an old row, a code of a newer version) cannot be told."""
    return LEVELS.get(code, Level.CANNOT_TELL)


def level_rank(code: str) -> int:
    """Sort key: needs action first, fine last."""
    return LEVEL_ORDER.index(level(code))


NEVER_FINAL = {Code.NOT_FOUND, Code.PENDING, Code.CONFIRMING, Code.REORGED, Code.PROVIDER_UNAVAILABLE}
_RECHECK = {
    Code.REORGED: timedelta(minutes=2),
    Code.NOT_FOUND: timedelta(minutes=5),
    Code.PENDING: timedelta(minutes=10),
    Code.CONFIRMING: timedelta(minutes=5),
    Code.PROVIDER_UNAVAILABLE: timedelta(minutes=1),
}
_CONTENT_CODES = {
    Code.ADDRESS_MISMATCH,
    Code.NOT_OUR_ADDRESS,
    Code.OTHER_PLAYER_ADDRESS,
    Code.UNSUPPORTED_ASSET,
    Code.ALREADY_CLAIMED,
    Code.BELOW_MINIMUM,
}


@dataclass(frozen=True)
class Policy:
    required_confirmations: dict[Chain, int]
    min_deposits: dict[str, int]
    block_seconds: dict[Chain, int]
    explorer_tx_url: dict[Chain, str]
    assets: AssetRegistry
    finality: dict[Chain, str] = field(default_factory=dict)  # "confirmations" (default) or "finalized"
    networks: dict[str, EvmNetwork] = field(default_factory=dict)  # EVM networks by name (eth included)


@dataclass(frozen=True)
class Ticket:
    chain: Chain
    tx_hash: str
    address: str | None = None
    player_ref: str | None = None
    ticket_ref: str | None = None


@dataclass
class Facts:
    """Everything the decision rests on, gathered by the service."""

    lookup: Lookup
    deposit_addresses: dict[str, DepositAddress]
    ledger: list[LedgerDeposit]
    now: datetime
    replaced_by: str | None = None
    previously_seen: dict[str, Any] | None = None
    elsewhere: ChainTx | None = None  # the tx found on another EVM network, paying a casino address
    needs_trace: bool = False  # a contract call no provider could trace
    reorged_from: dict[str, Any] | None = None  # the block we saw it in, now out of the main chain
    moved_from: dict[str, Any] | None = None  # an earlier block; it is now confirmed in another one
    dropped: bool = False
    history: list[dict[str, Any]] = field(default_factory=list)  # what we saw of the tx, over time


@dataclass
class Verdict:
    code: Code
    final: bool
    summary: str
    action: str
    player_message: dict[str, str]
    evidence: dict[str, Any]
    next_check_at: datetime | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code.value,
            "final": self.final,
            "summary": self.summary,
            "action": self.action,
            "player_message": self.player_message,
            "next_check_at": self.next_check_at.isoformat() if self.next_check_at else None,
        }


def decide(ticket: Ticket, facts: Facts, policy: Policy) -> Verdict:
    """The verdict for a ticket, from the chain facts and the ledger (see the module docstring)."""
    return _Decision(ticket, facts, policy).run()


def invalid_input(reason: str, *, now: datetime) -> Verdict:
    return Verdict(
        code=Code.INVALID_INPUT,
        final=True,
        summary=f"Invalid input: {reason}",
        action="Ask the player for the transaction hash (TXID) and the deposit address, copied from the wallet.",
        player_message=player_messages(Code.INVALID_INPUT, {}),
        evidence={"input_error": reason, "checked_at": now.isoformat()},
    )


class _Decision:
    def __init__(self, ticket: Ticket, facts: Facts, policy: Policy) -> None:
        self.ticket = ticket
        self.facts = facts
        self.policy = policy
        self.assets = policy.assets
        self.tx: ChainTx | None = facts.lookup.tx
        self.required = policy.required_confirmations[ticket.chain]
        self.ambiguous_owners: list[str] = []
        self.evidence: dict[str, Any] = {
            "chain": ticket.chain.value,
            "tx_hash": ticket.tx_hash,
            "explorer_url": policy.explorer_tx_url[ticket.chain].format(tx_hash=ticket.tx_hash),
            "providers": [
                {
                    "provider": a.provider,
                    "chain": a.chain or ticket.chain.value,
                    "answer": a.answer,
                    **({"detail": a.detail} if a.detail else {}),
                }
                for a in facts.lookup.answers
            ],
            "checked_at": facts.now.isoformat(),
        }

    def run(self) -> Verdict:
        lookup = self.facts.lookup
        if self.facts.history:
            self.evidence["history"] = self.facts.history
        if lookup.disputed:
            self.evidence["disputed"] = True
        if self.facts.replaced_by:
            return self._replaced()
        if self.facts.reorged_from is not None:
            return self._reorged(self.facts.reorged_from)
        if self.facts.dropped:
            self.evidence["previously_seen"] = self.facts.previously_seen
            return self._verdict(
                Code.DROPPED,
                f"Dropped: seen in the mempool (last at {self.facts.previously_seen['seen_at']}), now unknown to "
                "every provider, and its inputs were not spent by another transaction.",
                "Tell the player the transaction was never confirmed and no funds moved; they may send again.",
            )
        if self.facts.elsewhere is not None:
            return self._wrong_network(self.facts.elsewhere)
        if lookup.outcome is Outcome.NOT_FOUND:
            return self._verdict(
                Code.NOT_FOUND,
                "No provider knows this transaction (yet).",
                "Check the hash with the player; depositdesk re-checks automatically for a while.",
            )
        if lookup.outcome is Outcome.UNAVAILABLE or self.tx is None:
            return self._verdict(
                Code.PROVIDER_UNAVAILABLE,
                "Not enough blockchain providers answered to decide.",
                "Nothing to do yet: depositdesk retries automatically; tell the player we are checking.",
            )
        return self._decide_found(self.tx)

    def _decide_found(self, tx: ChainTx) -> Verdict:
        self.payments = Payments(
            tx,
            self.facts.deposit_addresses,
            self.facts.ledger,
            self.assets,
            self.ticket.address,
            self.ticket.player_ref,
        )
        self.evidence["tx"] = tx_evidence(tx, self.required, self.assets)
        if self.facts.moved_from is not None:
            self.evidence["moved_from"] = self.facts.moved_from
        self.evidence["outputs"] = transfers_evidence(tx, self.facts.deposit_addresses, self.assets)
        self.evidence["ledger"] = [ledger_evidence(row, self.assets) for row in self.facts.ledger]
        if tx.status is TxStatus.FAILED:
            return self._verdict(
                Code.FAILED,
                f"Included in block {tx.block_height} but reverted (receipt status 0): nothing was transferred.",
                "Tell the player the transaction failed and no funds moved; they can send again.",
            )
        if self.ticket.address:
            role = self.payments.address_role(self.ticket.address)
            self.evidence["ticket_address"] = {"address": self.ticket.address, "role": role}
            if role == "absent":
                return self._verdict(
                    Code.ADDRESS_MISMATCH,
                    "The wallet address on the ticket is neither a recipient nor a sender of this transaction.",
                    "Ask the player to check that the hash and the address belong to the same payment.",
                )
        paid = self.payments.to_casino()
        if not paid and self.facts.needs_trace:
            self.evidence["needs_trace"] = True
            return self._verdict(
                Code.PROVIDER_UNAVAILABLE,
                "A contract call with no direct payment to us: needs a trace to see internal transfers, "
                "and no configured provider can trace.",
                "Configure an Ethereum provider with debug_traceTransaction or trace_transaction, "
                "or check the internal transfers on the explorer.",
            )
        if not paid and tx.contract_call and tx.status is TxStatus.MEMPOOL:
            return self._verdict(
                Code.PENDING,
                "A contract call in the mempool: whether it pays us internally is known once it is mined.",
                "Tell the player it is on its way; depositdesk re-checks once it is in a block.",
                message="pending_contract_call",
            )
        if not paid:
            return self._verdict(
                Code.NOT_OUR_ADDRESS,
                "The transaction pays no casino deposit address.",
                "Tell the player the funds went elsewhere; nothing can be credited. "
                "If the recipient should be ours, check the back office sent its deposit addresses.",
            )
        concerned = self.payments.concerning_ticket(paid)
        if not concerned:
            owners = sorted({p.owner for p in paid})
            return self._verdict(
                Code.OTHER_PLAYER_ADDRESS,
                f"The transaction pays casino address(es) of another player ({', '.join(owners)}), "
                f"not of {self.payments.ticket_player()}.",
                "Do not credit. Check whether the player uses several accounts or pasted someone "
                "else's hash; escalate if unsure.",
                paid=paid,
            )
        accepted = [p for p in concerned if p.accepted]
        if not accepted:
            return self._unsupported(concerned)
        if len(accepted) < len(concerned):
            self.evidence["unsupported"] = [self._paid_evidence(p) for p in concerned if not p.accepted]
        owners = sorted({p.owner for p in accepted})
        if len(owners) > 1 and not self.payments.ticket_player():
            # A batch payout to several players and a ticket that does not say which one it is:
            # judging them together could credit one player with another's deposit.
            self.ambiguous_owners = owners
        return self._decide_paid(tx, accepted)

    def _decide_paid(self, tx: ChainTx, concerned: list[Paid]) -> Verdict:
        claims = self.payments.claims_by_others(concerned)
        if claims:
            self.evidence["conflicting_claims"] = [ledger_evidence(row, self.assets) for row in claims]
            return self._verdict(
                Code.ALREADY_CLAIMED,
                "The ledger already books this transaction for another player "
                f"({', '.join(sorted({row.player_ref for row in claims}))}).",
                "Do not credit again. Escalate to finance to decide who the deposit belongs to.",
                paid=concerned,
            )
        if all(self._below_minimum(p) and not p.credited for p in concerned):
            return self._verdict(
                Code.BELOW_MINIMUM,
                "The amount paid is below the minimum deposit, so it was not credited automatically.",
                "Apply the casino's policy for deposits below the minimum (manual credit or top-up to the minimum).",
                paid=concerned,
            )
        if tx.status is TxStatus.MEMPOOL:
            return self._verdict(
                Code.PENDING,
                "In the mempool, not yet in a block.",
                "Tell the player it is on its way and will be credited automatically after confirmations.",
                paid=concerned,
            )
        if not self._settled(tx):
            why = ", not yet finalized." if self._finality() == "finalized" else "."
            if self.facts.lookup.disputed:
                why = "; providers disagree about it (see evidence), so it is not treated as settled."
            return self._verdict(
                Code.CONFIRMING,
                f"In block {tx.block_height}: {tx.confirmations} of {self.required} confirmations{why}",
                "Tell the player it is confirming and will be credited automatically.",
                paid=concerned,
            )
        return self._reconcile(concerned)

    def _settled(self, tx: ChainTx) -> bool:
        if self.facts.lookup.disputed:
            return False
        if self._finality() == "finalized":
            return tx.finalized is True
        return tx.confirmations >= self.required

    def _finality(self) -> str:
        return self.policy.finality.get(self.ticket.chain, "confirmations")

    def _reconcile(self, concerned: list[Paid]) -> Verdict:
        mismatched = [p for p in concerned if p.credited and p.credited_amount != p.amount]
        if mismatched:
            details = "; ".join(
                f"{p.address}: chain {self._fmt(p.amount, p.asset)} {p.asset}, "
                f"ledger {self._fmt(p.credited_amount, p.asset)} {p.asset}"
                for p in mismatched
            )
            return self._verdict(
                Code.AMOUNT_MISMATCH,
                f"The ledger credited a different amount than the chain shows ({details}).",
                "Escalate to finance to correct the credited amount.",
                paid=concerned,
            )
        missing = [p for p in concerned if not p.credited]
        if missing:
            statuses = {row.status for p in missing for row in p.ledger}
            if "pending" in statuses:
                return self._verdict(
                    Code.CONFIRMED_NOT_CREDITED,
                    "Confirmed and paid to a casino deposit address; the ledger has it as pending, not credited.",
                    "Check the back office: it is booked as pending, so make sure it is credited exactly once.",
                    paid=concerned,
                    final_override=False,
                )
            if "rejected" in statuses:
                return self._verdict(
                    Code.CONFIRMED_NOT_CREDITED,
                    "Confirmed and paid to a casino deposit address, but the back office rejected it.",
                    "Do not credit before finding out why it was rejected: escalate to finance.",
                    paid=concerned,
                )
            return self._verdict(
                Code.CONFIRMED_NOT_CREDITED,
                "Confirmed and paid to a casino deposit address, but the ledger has no credit for it.",
                "Credit the deposit (or send it to finance): the chain shows the funds arrived.",
                paid=concerned,
            )
        return self._verdict(
            Code.CREDITED,
            "Confirmed and credited in the ledger with the same amount.",
            "Tell the player the deposit is on their balance (refresh / log in again).",
            paid=concerned,
        )

    def _unsupported(self, concerned: list[Paid]) -> Verdict:
        assets = ", ".join(sorted({p.asset for p in concerned}))
        return self._verdict(
            Code.UNSUPPORTED_ASSET,
            f"Paid a casino address in an asset it does not accept ({assets}).",
            "Do not credit automatically. Escalate to treasury: the tokens sit on our address and may be "
            "recoverable or returnable under the casino's policy.",
            paid=concerned,
        )

    def _replaced(self) -> Verdict:
        replacement = self.facts.replaced_by
        if self.facts.previously_seen:
            self.evidence["previously_seen"] = self.facts.previously_seen
        if replacement == "unknown":
            self.evidence["replaced_by"] = None
            summary = "Replaced: an input of this transaction was spent by another one (the provider cannot name it)."
        else:
            self.evidence["replaced_by"] = replacement
            self.evidence["replacement_explorer_url"] = self.policy.explorer_tx_url[self.ticket.chain].format(
                tx_hash=replacement
            )
            summary = f"Replaced: an input of this transaction was spent by {replacement}."
        return self._verdict(
            Code.REPLACED,
            summary,
            "Ask the player for the replacing transaction and investigate that one.",
        )

    def _reorged(self, earlier: dict[str, Any]) -> Verdict:
        self.evidence["reorged_from"] = earlier
        now = "back in the mempool" if self.tx is not None else "not in any block of the main chain"
        if self.tx is not None:
            self.evidence["tx"] = tx_evidence(self.tx, self.required, self.assets)
        return self._verdict(
            Code.REORGED,
            f"Reorged: was confirmed in block {earlier['block_height']} ({earlier['block_hash']}), "
            f"which left the main chain; the tx is now {now}.",
            "Do not credit yet. depositdesk re-checks; usually the tx is mined again within minutes.",
        )

    def _wrong_network(self, tx: ChainTx) -> Verdict:
        self.evidence["network"] = tx.network
        self.evidence["tx"] = tx_evidence(tx, self.required, self.assets)
        self.evidence["outputs"] = transfers_evidence(tx, self.facts.deposit_addresses, self.assets)
        ours = [t for t in tx.transfers if t.to_address in self.facts.deposit_addresses]
        found = self.policy.networks.get(tx.network or "")
        amounts = ", ".join(f"{self._amount_on(found, t)} {t.asset} to {t.to_address}" for t in ours)
        first = ours[0]
        facts = {"network": tx.network, "amount": self._amount_on(found, first), "asset": first.asset}
        decision = wrong_network(Chain.ETH.value, tx.network or "?", self.policy.networks, amounts=amounts)
        assert decision is not None  # found elsewhere means another network than the address's
        if found is not None:
            self.evidence["found_on"] = {"network": found.name, "chain_id": found.chain_id, "explorer": found.tx_url(tx.tx_hash)}
        return self._verdict(
            Code.WRONG_NETWORK,
            decision.summary,
            decision.action,
            message_facts=facts,
            final_override=tx.status is TxStatus.CONFIRMED,
        )

    def _amount_on(self, network: EvmNetwork | None, transfer: Transfer) -> str:
        """The amount in that network's own decimals (USDT on BSC has 18, not Ethereum's 6)."""
        token = network.token_by_symbol(transfer.asset) if network is not None else None
        if token is not None and transfer.kind is TransferKind.TOKEN:
            return format_amount(transfer.amount_base_units, token.decimals)
        return amount(self.assets, transfer.amount_base_units, transfer.asset, transfer)

    def _below_minimum(self, paid: Paid) -> bool:
        minimum = self.policy.min_deposits.get(paid.asset)
        return minimum is not None and paid.amount < minimum

    def _fmt(self, base_units: int, asset: str) -> str:
        return self.assets.format(base_units, asset)

    def _paid_evidence(self, p: Paid) -> dict[str, Any]:
        return {
            "address": p.address,
            "player_ref": p.owner,
            "asset": p.asset,
            "accepted": p.accepted,
            "amount": self._fmt(p.amount, p.asset),
            "outputs": p.indexes,
            "ledger_credited": self._fmt(p.credited_amount, p.asset) if p.credited else None,
            "below_minimum": self._below_minimum(p),
        }

    def _verdict(
        self,
        code: Code,
        summary: str,
        action: str,
        *,
        paid: list[Paid] | None = None,
        message_facts: dict[str, Any] | None = None,
        final_override: bool | None = None,
        message: str | None = None,
    ) -> Verdict:
        tx = self.tx
        facts: dict[str, Any] = {"required": self.required}
        if paid:
            self.evidence["paid"] = [self._paid_evidence(p) for p in paid]
            asset = paid[0].asset
            facts |= {
                "amount": self._fmt(sum(p.amount for p in paid if p.asset == asset), asset),
                "asset": asset,
                "minimum": self._fmt(self.policy.min_deposits.get(asset, 0), asset),
            }
        if tx is not None and tx.status is not TxStatus.NOT_FOUND:
            remaining = max(self.required - tx.confirmations, 0)
            seconds = (remaining or 1) * self.policy.block_seconds[self.ticket.chain]
            facts |= {"confirmations": tx.confirmations, "eta_minutes": max(1, -(-seconds // 60))}
            self.evidence["confirmations"] = f"{tx.confirmations}/{self.required}"
        facts |= message_facts or {}
        final = code not in NEVER_FINAL
        if code in _CONTENT_CODES and (tx is None or tx.status is not TxStatus.CONFIRMED):
            final = False
        if final_override is not None:
            final = final_override
        if self.facts.lookup.disputed:
            final = False
        if self.ambiguous_owners and paid:
            final = False
            self.evidence["ambiguous_players"] = self.ambiguous_owners
            summary = (
                f"This transaction pays {len(self.ambiguous_owners)} casino players "
                f"({', '.join(self.ambiguous_owners)}); the ticket does not say which one it is. {summary}"
            )
            action = (
                "Ask the player for the deposit address shown in their cashier (or their player id) and "
                "investigate again with it; do not act on the combined figures."
            )
            message = "ask_address"
        next_check = None if final else self.facts.now + _RECHECK.get(code, timedelta(minutes=10))
        return Verdict(
            code=code,
            final=final,
            summary=summary,
            action=action,
            player_message=player_messages(message or code, facts),
            evidence=self.evidence,
            next_check_at=next_check,
        )
