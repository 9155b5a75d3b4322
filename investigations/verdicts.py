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
from chains.tron.wallet import failure_words
from investigations.evidence import amount, ledger_evidence, transfers_evidence, tx_evidence
from investigations.ledger import DepositAddress, LedgerDeposit
from investigations.messages import handed_on_messages, player_messages
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
    # Payouts (issue 25): the casino's errors need action, a withdrawal under way is watched
    "payout_not_sent": Level.NEEDS_ACTION,
    "payout_stuck": Level.NEEDS_ACTION,
    "payout_wrong_address": Level.NEEDS_ACTION,
    "payout_amount_differs": Level.NEEDS_ACTION,
    "payout_failed": Level.NEEDS_ACTION,
    "payout_dropped": Level.NEEDS_ACTION,
    "payout_pending": Level.WATCH,
    "payout_confirming": Level.WATCH,
    "payout_replaced": Level.WATCH,
    "payout_delivered": Level.FINE,
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
    payout_grace: timedelta = timedelta(minutes=30)  # PAYOUT_GRACE_MINUTES
    payout_fee_horizon_blocks: int = 6  # PAYOUT_FEE_HORIZON_BLOCKS

    def minimum(self, asset: str, chain: Chain) -> int | None:
        """MIN_DEPOSITS for this asset on this chain, in its base units: ``USDT@bsc`` when set, else
        ``USDT`` (set in the decimals of the asset's first chain) scaled to this chain's decimals."""
        own = self.min_deposits.get(f"{asset}@{chain.value}")
        if own is not None:
            return own
        minimum = self.min_deposits.get(asset)
        first, here = self.assets.get(asset), self.assets.on(chain, asset)
        if minimum is None or first is None or here is None or first.decimals == here.decimals:
            return minimum
        if here.decimals > first.decimals:
            return minimum * 10 ** (here.decimals - first.decimals)
        return -(-minimum // 10 ** (first.decimals - here.decimals))

    def network_of(self, chain: Chain) -> EvmNetwork | None:
        return self.networks.get(chain.value)


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
    issued_for: str | None = None  # with elsewhere: the network the paid casino address was issued for
    needs_trace: bool = False  # a contract call no provider could trace
    reorged_from: dict[str, Any] | None = None  # the block we saw it in, now out of the main chain
    moved_from: dict[str, Any] | None = None  # an earlier block; it is now confirmed in another one
    dropped: bool = False
    history: list[dict[str, Any]] = field(default_factory=list)  # what we saw of the tx, over time
    # Issue 24: paid to the other family's form (same 20 bytes) of our deposit addresses:
    # {"issued": Chain, "addresses": {paid address: DepositAddress}}
    other_family: dict[str, Any] | None = None


@dataclass
class Verdict:
    code: Code | PayoutCode
    final: bool
    summary: str
    action: str
    player_message: dict[str, str]
    evidence: dict[str, Any]
    next_check_at: datetime | None = None
    # The reply once a finding or a ticket exists ("passed to our finance team"); None for the codes
    # whose reply promises nobody's action. Which one a player sees is chosen at reply time.
    player_message_handed_on: dict[str, str] | None = None

    def as_dict(self) -> dict[str, Any]:
        handed_on = {"player_message_handed_on": self.player_message_handed_on} if self.player_message_handed_on else {}
        return handed_on | {
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
        self.assets = policy.assets.for_chain(ticket.chain)  # USDT on BSC: BSC's USDT (18 decimals)
        self.tx: ChainTx | None = facts.lookup.tx
        self.required = policy.required_confirmations[ticket.chain]
        self.network = policy.network_of(ticket.chain)
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
        if lookup.unheard:
            self.evidence["unheard"] = True
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
        if self.facts.elsewhere is not None and self.facts.other_family is not None:
            return self._wrong_family(self.facts.elsewhere)
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
        if self.network is not None:
            self.evidence["finality"] = {"network": self.network.name, "rule": self._finality_rule()}
            self.evidence["explorer_links"] = self._explorer_links(self.network, tx)
        if tx.status is TxStatus.FAILED:
            reason = f"failed: {tx.failure}" if tx.failure else "reverted (receipt status 0): nothing was transferred"
            return self._verdict(
                Code.FAILED,
                f"Included in block {tx.block_height} but {reason}.",
                "Tell the player the transaction failed and no funds moved; they can send again.",
                message="failed_out_of_energy" if tx.failure == failure_words("OUT_OF_ENERGY") else None,
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
        if not paid and self.facts.other_family is not None:
            return self._wrong_family(tx)
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
            if self._finality() in ("safe", "finalized") and self.network is not None:
                why = f"; final by {self._finality_rule()}, not reached yet."
            if self.ticket.chain is Chain.TRON:
                why = ", not yet solidified (a TRON block is final once solidified, about 19 blocks)."
            if self.facts.lookup.disputed:
                why = "; providers disagree about it (see evidence), so it is not treated as settled."
            return self._verdict(
                Code.CONFIRMING,
                f"In block {tx.block_height}{self._on()}: {tx.confirmations} of {self.required} confirmations{why}",
                "Tell the player it is confirming and will be credited automatically.",
                paid=concerned,
            )
        return self._reconcile(concerned)

    def _settled(self, tx: ChainTx) -> bool:
        if self.facts.lookup.disputed:
            return False
        if self._finality() in ("safe", "finalized"):  # the adapter asked for that block tag
            return tx.finalized is True
        return tx.confirmations >= self.required

    def _finality(self) -> str:
        return self.policy.finality.get(self.ticket.chain, "confirmations")

    def _finality_rule(self) -> str:
        """The rule that makes this tx final, as the verdict names it: "15 confirmations on BSC", or
        "the 'finalized' block tag of Base (its batch is finalized on Ethereum)"."""
        if self.network is None:
            return f"{self.required} confirmations"
        if self.ticket.chain is Chain.ETH and self._finality() == "confirmations":
            return f"{self.required} confirmations on {self.network.label}"
        return self.network.finality_rule()

    def _explorer_links(self, network: EvmNetwork, tx: ChainTx) -> dict[str, Any]:
        """Links on the network's own explorer (etherscan, bscscan, polygonscan, arbiscan, basescan,
        optimistic.etherscan): the tx, the casino addresses it pays, each token at that address."""
        ours = [t for t in tx.transfers if t.to_address in self.facts.deposit_addresses]
        addresses = dict.fromkeys(
            [*([self.ticket.address] if self.ticket.address else []), *(t.to_address for t in ours)]
        )
        tokens = []
        for transfer in ours:
            token = network.token_by_symbol(transfer.asset) if transfer.kind is TransferKind.TOKEN else None
            contract = token.contract if token else transfer.asset.removeprefix("erc20:")
            if transfer.kind is TransferKind.TOKEN and contract.startswith("0x"):
                tokens.append(network.token_url(contract, transfer.to_address))
        return {
            "network": network.label,
            "tx": network.tx_url(tx.tx_hash),
            "addresses": [network.address_url(a) for a in addresses if a],
            "tokens": list(dict.fromkeys(tokens)),
        }

    def _on(self) -> str:
        return f" on {self.network.label}" if self.network is not None and self.ticket.chain is not Chain.ETH else ""

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
        found_name = tx.network or tx.chain.value
        issued = self.facts.issued_for or self.ticket.chain.value
        assets = self.policy.assets.for_chain(tx.chain)
        self.evidence["network"] = found_name
        self.evidence["tx"] = tx_evidence(tx, self.required, assets)
        self.evidence["outputs"] = transfers_evidence(tx, self.facts.deposit_addresses, assets)
        ours = [t for t in tx.transfers if t.to_address in self.facts.deposit_addresses]
        found = self.policy.networks.get(found_name)
        amounts = ", ".join(f"{self._amount_on(found, t, assets)} {t.asset} to {t.to_address}" for t in ours)
        first = ours[0]
        facts = {"network": found.label if found else found_name, "amount": self._amount_on(found, first, assets)}
        facts |= {"asset": first.asset, "issued_network": self._label(issued)}
        decision = wrong_network(issued, found_name, self.policy.networks, amounts=amounts)
        assert decision is not None  # found elsewhere means another network than the address's
        self.evidence["issued_for"] = issued
        if found is not None:
            self.evidence["found_on"] = {
                "network": found.name,
                "chain_id": found.chain_id,
                "explorer": found.tx_url(tx.tx_hash),
            }
        return self._verdict(
            Code.WRONG_NETWORK,
            decision.summary,
            decision.action,
            message_facts=facts,
            final_override=tx.status is TxStatus.CONFIRMED,
        )

    def _wrong_family(self, tx: ChainTx) -> Verdict:
        """Issue 24: paid on TRON to the T form of an address issued on an EVM network, or on an EVM
        network to the 0x form of a TRON deposit address (the same 20 bytes, another chain family)."""
        family = self.facts.other_family or {}
        rows = family["addresses"]
        issued_network = self.policy.networks.get(family["issued"].value)
        issued = "TRON" if family["issued"] is Chain.TRON else (issued_network.label if issued_network else "Ethereum")
        network = self.policy.networks.get(tx.network or tx.chain.value)
        found = "TRON" if tx.chain is Chain.TRON else (network.label if network else "Ethereum")
        ours = [t for t in tx.transfers if t.to_address in rows and t.kind is not TransferKind.INTENDED]
        if not ours:
            ours = [t for t in tx.transfers if t.to_address in rows]

        def amount_of(t: Transfer) -> str:
            if tx.chain is Chain.TRON:
                return self.assets.format(t.amount_base_units, t.asset, Chain.TRON)
            return self._amount_on(network, t, self.assets)

        amounts = ", ".join(f"{amount_of(t)} {t.asset} to {t.to_address}" for t in ours)
        first = ours[0]
        issued_address = rows[first.to_address].address
        self.evidence["network"] = tx.network or tx.chain.value
        self.evidence["tx"] = tx_evidence(tx, self.required, self.assets)
        self.evidence["outputs"] = transfers_evidence(tx, {}, self.assets)
        self.evidence["wrong_network"] = {
            "found_on": found,
            "issued_for": issued,
            "paid": [
                {
                    "paid_to": t.to_address,
                    "deposit_address": rows[t.to_address].address,
                    "player_ref": rows[t.to_address].player_ref,
                    "asset": t.asset,
                    "amount": amount_of(t),
                }
                for t in ours
            ],
        }
        if network is not None:
            self.evidence["found_on"] = {
                "network": network.name,
                "chain_id": network.chain_id,
                "explorer": network.tx_url(tx.tx_hash),
            }
        if tx.chain is Chain.TRON:
            gas, wallet = "TRX (for energy and bandwidth)", "a TRON wallet"
        else:
            gas, wallet = f"{network.native if network else 'ETH'} (for gas)", f"an EVM wallet on {found}"
        summary = (
            f"Sent on {found}, but the address was issued for {issued}: {amounts}. "
            f"{first.to_address} is the {found} form of our deposit address {issued_address} (the same 20 bytes)."
        )
        action = (
            f"Escalate to treasury. Recoverable only if {issued_address} is held by a private key (not a "
            f"smart-contract wallet): the same key controls {first.to_address} on {found}. Treasury can import "
            f"that key into {wallet}, fund it with {gas} and move the funds to the casino's {found} treasury, "
            "then credit under the casino's policy. If the address is a contract wallet, the funds cannot be "
            f"moved by the casino. Do not credit from the {issued} ledger."
        )
        settled = tx.status is TxStatus.CONFIRMED and (tx.chain is not Chain.TRON or tx.finalized is True)
        facts = {"network": found, "issued": issued, "amount": amount_of(first), "asset": first.asset}
        return self._verdict(
            Code.WRONG_NETWORK,
            summary,
            action,
            message_facts=facts,
            final_override=settled,
            message="wrong_network_family",
        )

    def _amount_on(self, network: EvmNetwork | None, transfer: Transfer, assets: AssetRegistry) -> str:
        """The amount in that network's own decimals (USDT on BSC has 18, not Ethereum's 6)."""
        token = network.token_by_symbol(transfer.asset) if network is not None else None
        if token is not None and transfer.kind is TransferKind.TOKEN:
            return format_amount(transfer.amount_base_units, token.decimals)
        return amount(assets, transfer.amount_base_units, transfer.asset, transfer)

    def _label(self, network: str) -> str:
        known = self.policy.networks.get(network)
        return known.label if known else network

    def _below_minimum(self, paid: Paid) -> bool:
        minimum = self.policy.minimum(paid.asset, self.ticket.chain)
        return minimum is not None and paid.amount < minimum

    def _fmt(self, base_units: int, asset: str) -> str:
        return self.assets.format(base_units, asset, self.ticket.chain)

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
                "asset": f"{asset} ({self.network.label})" if self._on() and self.network else asset,
                "minimum": self._fmt(self.policy.minimum(asset, self.ticket.chain) or 0, asset),
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
        if self.facts.lookup.disputed or self.facts.lookup.unheard:
            final = False  # unheard: a provider asked had not answered yet, so its word is checked again
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
            player_message_handed_on=handed_on_messages(message or code, facts),
            evidence=self.evidence,
            next_check_at=next_check,
        )


# --- Payouts (issue 25) ------------------------------------------------------------------------
# A payout investigation judges the chain against the casino's payout record: was it sent, is it on
# its way (and when will it arrive), is it stuck under the fee market, and did it pay the record's
# address the record's amount. Precedence (the first rule that applies wins; each is tested):
#
#  1. no tx on the record: ``payout_not_sent`` (requested, approved, or rejected; past the grace
#     an approved one is finance's to act on)
#  2. the record's tx was replaced (BTC: an input spent by another tx; EVM: its nonce mined in another
#     tx): followed to the replacement, which is judged as the payout: delivered -> ``payout_delivered``,
#     the casino's error -> that code, under way (or paying the player nothing) -> ``payout_replaced``
#  3. seen before, now unknown everywhere and not replaced: ``payout_dropped``
#  4. unknown to every provider: within the grace ``payout_pending`` (not yet propagated), after it
#     ``payout_not_sent``
#  5. too few providers answered: ``provider_unavailable``
#  6. reverted (EVM receipt status 0): ``payout_failed``
#  7. nothing of the asset to the record's address: ``payout_wrong_address``
#  8. paid neither the amount nor the amount less the stated network fee: ``payout_amount_differs``
#  9. in the mempool: ``payout_stuck`` when its fee is below what confirms within the fee horizon
#     (with what finance can do), else ``payout_pending`` with its ETA
# 10. fewer confirmations than required: ``payout_confirming``; then ``payout_delivered``


class PayoutCode(StrEnum):
    NOT_SENT = "payout_not_sent"
    PENDING = "payout_pending"
    STUCK = "payout_stuck"
    CONFIRMING = "payout_confirming"
    DELIVERED = "payout_delivered"
    WRONG_ADDRESS = "payout_wrong_address"
    AMOUNT_DIFFERS = "payout_amount_differs"
    FAILED = "payout_failed"
    REPLACED = "payout_replaced"
    DROPPED = "payout_dropped"


# The casino's own errors: escalate, never tell the player it was delivered, never a public reply.
PAYOUT_CASINO_ERRORS = frozenset(
    {
        PayoutCode.NOT_SENT,
        PayoutCode.STUCK,
        PayoutCode.WRONG_ADDRESS,
        PayoutCode.AMOUNT_DIFFERS,
        PayoutCode.FAILED,
        PayoutCode.REPLACED,
        PayoutCode.DROPPED,
    }
)
PAYOUT_NEVER_FINAL = {PayoutCode.PENDING, PayoutCode.STUCK, PayoutCode.CONFIRMING, PayoutCode.NOT_SENT}
_PAYOUT_RECHECK = {
    PayoutCode.PENDING: timedelta(minutes=5),
    PayoutCode.STUCK: timedelta(minutes=10),
    PayoutCode.CONFIRMING: timedelta(minutes=5),
    PayoutCode.NOT_SENT: timedelta(minutes=10),
    PayoutCode.REPLACED: timedelta(minutes=5),
}


@dataclass(frozen=True)
class Payout:
    """The casino's payout record as a decision reads it (amounts in base units)."""

    payout_id: str
    chain: Chain
    player_ref: str
    to_address: str
    asset: str
    amount: int
    status: str
    requested_at: datetime
    tx_hash: str | None = None
    sent_at: datetime | None = None
    network_fee: int | None = None


@dataclass
class PayoutFacts:
    """What a payout decision rests on, gathered by the service."""

    now: datetime
    lookup: Lookup | None = None  # None: the record names no tx
    fee_market: Any = None  # chains.fees.FeeMarket of the payout's chain, when a provider gave one
    replaced_by: str | None = None  # the tx that replaced the record's ("unknown" if unnamed)
    replacement: PayoutFacts | None = None  # the replacement's own facts, to judge it as the payout
    dropped: bool = False
    previously_seen: dict[str, Any] | None = None
    history: list[dict[str, Any]] = field(default_factory=list)


def decide_payout(payout: Payout, facts: PayoutFacts, policy: Policy) -> Verdict:
    """The verdict for a payout record from the chain facts (see the precedence above)."""
    return _PayoutDecision(payout, facts, policy).run()


class _PayoutDecision:
    def __init__(self, payout: Payout, facts: PayoutFacts, policy: Policy) -> None:
        self.payout = payout
        self.facts = facts
        self.policy = policy
        self.required = policy.required_confirmations[payout.chain]
        self.tx: ChainTx | None = facts.lookup.tx if facts.lookup else None
        self.evidence: dict[str, Any] = {
            "chain": payout.chain.value,
            "payout": {
                "payout_id": payout.payout_id,
                "status": payout.status,
                "to_address": payout.to_address,
                "asset": payout.asset,
                "amount": self._fmt(payout.amount),
                "network_fee": self._fmt(payout.network_fee) if payout.network_fee is not None else None,
                "tx_hash": payout.tx_hash,
                "requested_at": payout.requested_at.isoformat(),
                "sent_at": payout.sent_at.isoformat() if payout.sent_at else None,
            },
            "checked_at": facts.now.isoformat(),
        }
        if payout.tx_hash:
            self.evidence["tx_hash"] = payout.tx_hash
            self.evidence["explorer_url"] = policy.explorer_tx_url[payout.chain].format(tx_hash=payout.tx_hash)
        if facts.lookup is not None:
            self.evidence["providers"] = [
                {"provider": a.provider, "answer": a.answer, **({"detail": a.detail} if a.detail else {})}
                for a in facts.lookup.answers
            ]
        if facts.history:
            self.evidence["history"] = facts.history

    def _fmt(self, base_units: int) -> str:
        return self.policy.assets.format(base_units, self.payout.asset)

    def _waited(self) -> timedelta:
        return self.facts.now - (self.payout.sent_at or self.payout.requested_at)

    def run(self) -> Verdict:
        payout, facts = self.payout, self.facts
        if not payout.tx_hash or facts.lookup is None:
            return self._not_sent_without_tx()
        if facts.replaced_by:
            return self._replaced()
        if facts.dropped:
            self.evidence["previously_seen"] = facts.previously_seen
            return self._verdict(
                PayoutCode.DROPPED,
                f"Dropped: the payout tx was seen in the mempool (last at {(facts.previously_seen or {}).get('seen_at')}), "
                "is now unknown to every provider, and nothing replaced it: the funds never left.",
                "Escalate to finance: send the payout again (a new tx) and update the payout record's tx_hash.",
            )
        lookup = facts.lookup
        if lookup.outcome is Outcome.NOT_FOUND:
            grace = self.policy.payout_grace
            if self._waited() < grace:
                return self._verdict(
                    PayoutCode.PENDING,
                    f"No provider knows the payout tx yet; it was sent {self._minutes(self._waited())} min ago "
                    f"(within the grace of {self._minutes(grace)} min).",
                    "Tell the player the withdrawal is being sent; depositdesk checks again shortly.",
                    message="payout_pending_unseen",
                )
            return self._verdict(
                PayoutCode.NOT_SENT,
                f"No provider knows the payout tx {self._minutes(self._waited())} min after it was sent "
                f"(grace {self._minutes(grace)} min): it was never broadcast, or was broadcast with errors.",
                "Escalate to finance: check the hot wallet and broadcast (or re-send) the payout.",
            )
        if lookup.outcome is Outcome.UNAVAILABLE or self.tx is None:
            return self._verdict(
                Code.PROVIDER_UNAVAILABLE,
                "Not enough blockchain providers answered to decide.",
                "Nothing to do yet: depositdesk retries automatically; tell the player we are checking.",
            )
        return self._found(self.tx)

    def _not_sent_without_tx(self) -> Verdict:
        payout, grace = self.payout, self.policy.payout_grace
        waited = self.facts.now - payout.requested_at
        if payout.status == "rejected":
            return self._verdict(
                PayoutCode.NOT_SENT,
                "The casino rejected this withdrawal: no tx was sent.",
                "Tell the player why the withdrawal was rejected (see the back office); nothing was sent.",
                final_override=True,
                message="payout_rejected",
                finance=False,
            )
        if payout.status == "requested":
            return self._verdict(
                PayoutCode.NOT_SENT,
                f"Requested {self._minutes(waited)} min ago, not approved yet: no tx was sent.",
                "Check the withdrawal in the back office: it is waiting for approval.",
                message="payout_waiting",
                finance=False,
            )
        if waited < grace:
            return self._verdict(
                PayoutCode.NOT_SENT,
                f"Approved, no tx yet ({self._minutes(waited)} min after the request; grace {self._minutes(grace)} min).",
                "Tell the player the withdrawal is approved and being sent; nothing for finance to do yet.",
                message="payout_waiting",
                finance=False,
            )
        return self._verdict(
            PayoutCode.NOT_SENT,
            f"{payout.status.capitalize()} {self._minutes(waited)} min ago and no tx is recorded "
            f"(grace {self._minutes(grace)} min): the payout was not sent.",
            "Escalate to finance: send the payout and record its tx_hash.",
            message="payout_waiting",
        )

    def _replaced(self) -> Verdict:
        replacement = self.facts.replaced_by
        if self.facts.previously_seen:
            self.evidence["previously_seen"] = self.facts.previously_seen
        if replacement == "unknown" or self.facts.replacement is None:
            self.evidence["replaced_by"] = None
            return self._verdict(
                PayoutCode.REPLACED,
                "Replaced: another tx of the hot wallet took the payout tx's place, and no provider can name it.",
                "Ask finance for the replacing tx and record it as the payout's tx_hash.",
                finance=False,
            )
        self.evidence["replaced_by"] = replacement
        self.evidence["replacement_explorer_url"] = self.policy.explorer_tx_url[self.payout.chain].format(
            tx_hash=replacement
        )
        followed = decide_payout(replace_tx(self.payout, replacement), self.facts.replacement, self.policy)
        self.evidence["replacement"] = {"code": followed.code.value, "summary": followed.summary}
        if followed.code is PayoutCode.DROPPED or self._cancelled():
            return self._verdict(
                PayoutCode.REPLACED,
                f"Replaced by {replacement}, which pays the player nothing: the payout was cancelled.",
                "Escalate to finance: the payout was cancelled by a replacement; send it again.",
                final_override=True,
                message="payout_cancelled",
            )
        if followed.code in (
            PayoutCode.DELIVERED,
            PayoutCode.WRONG_ADDRESS,
            PayoutCode.AMOUNT_DIFFERS,
            PayoutCode.FAILED,
        ):
            followed.evidence["replaced_from"] = self.payout.tx_hash
            followed.evidence["replaced_by"] = replacement
            followed.summary = (
                f"{followed.summary} (The payout tx {self.payout.tx_hash} was replaced by {replacement}.)"
            )
            return followed
        self.tx = self.facts.replacement.lookup.tx if self.facts.replacement.lookup else None
        eta = followed.evidence.get("eta_minutes")
        return self._verdict(
            PayoutCode.REPLACED,
            f"Replaced by {replacement} (a fee bump or a resend); the replacement is {followed.code.value}: "
            f"{followed.summary}",
            "Tell the player the withdrawal was re-sent with a higher fee and is on its way; "
            "record the replacement as the payout's tx_hash.",
            eta_minutes=eta,
            finance=False,
        )

    def _cancelled(self) -> bool:
        """The replacement moves the payout's asset only back to the hot wallet (or nowhere)."""
        replacement = self.facts.replacement
        tx = replacement.lookup.tx if replacement and replacement.lookup else None
        if tx is None or tx.status is TxStatus.FAILED or (tx.status is TxStatus.MEMPOOL and tx.contract_call):
            return False
        senders = tx.sender_addresses
        return not any(
            t.asset == self.payout.asset and t.to_address not in senders and t.kind is not TransferKind.INTENDED
            for t in tx.transfers
        )

    def _received(self, tx: ChainTx) -> list[Transfer]:
        return [
            t
            for t in tx.transfers
            if t.to_address == self.payout.to_address
            and t.asset == self.payout.asset
            and t.kind is not TransferKind.INTENDED
        ]

    def _found(self, tx: ChainTx) -> Verdict:
        self.evidence["tx"] = tx_evidence(tx, self.required, self.policy.assets)
        if tx.status is TxStatus.FAILED:
            return self._verdict(
                PayoutCode.FAILED,
                f"The payout tx was included in block {tx.block_height} but reverted (receipt status 0): "
                "nothing reached the player.",
                "Escalate to finance: the payout failed on chain (check the token balance and gas of the hot "
                "wallet) and must be sent again.",
            )
        received = self._received(tx)
        if not received and tx.status is TxStatus.MEMPOOL and tx.contract_call:
            # A token payout's transfer shows in its receipt: until it is mined only its fee can be judged.
            return self._in_mempool(tx)
        if not received:
            elsewhere = sorted({t.to_address or "?" for t in tx.transfers if t.asset == self.payout.asset})
            self.evidence["paid_to"] = elsewhere
            return self._verdict(
                PayoutCode.WRONG_ADDRESS,
                f"The payout tx pays nothing of {self.payout.asset} to the record's address {self.payout.to_address} "
                f"(it pays {', '.join(elsewhere) or 'nobody'}).",
                "Escalate to finance: the payout went to another address than the player's. Do not tell the "
                "player it was delivered.",
            )
        paid = sum(t.amount_base_units for t in received)
        expected = {self.payout.amount}
        if self.payout.network_fee is not None:
            expected.add(self.payout.amount - self.payout.network_fee)
        self.evidence["paid"] = {
            "amount": self._fmt(paid),
            "asset": self.payout.asset,
            "outputs": [t.index for t in received],
        }
        if paid not in expected:
            return self._verdict(
                PayoutCode.AMOUNT_DIFFERS,
                f"The payout tx pays {self._fmt(paid)} {self.payout.asset} to the player's address; the record says "
                f"{self._fmt(self.payout.amount)}"
                + (f" less a network fee of {self._fmt(self.payout.network_fee)}" if self.payout.network_fee else "")
                + ".",
                "Escalate to finance to settle the difference. Do not tell the player the payout is complete.",
                amount=paid,
            )
        if tx.status is TxStatus.MEMPOOL:
            return self._in_mempool(tx)
        if tx.confirmations < self.required:
            return self._verdict(
                PayoutCode.CONFIRMING,
                f"In block {tx.block_height}: {tx.confirmations} of {self.required} confirmations.",
                "Tell the player the withdrawal is confirming and will be in their wallet shortly.",
                amount=paid,
            )
        return self._verdict(
            PayoutCode.DELIVERED,
            f"Delivered: confirmed ({tx.confirmations} confirmations) to the record's address, "
            f"{self._fmt(paid)} {self.payout.asset}.",
            "Tell the player it is in their wallet; an exchange credits it after its own confirmations.",
            amount=paid,
        )

    def _in_mempool(self, tx: ChainTx) -> Verdict:
        market = self.facts.fee_market
        if market is not None:
            self.evidence["fee_market"] = market.as_evidence()
        if self.payout.chain is Chain.BTC:
            return self._btc_mempool(tx, market)
        return self._evm_mempool(tx, market)

    def _btc_mempool(self, tx: ChainTx, market: Any) -> Verdict:
        from chains.fees import CHILD_VSIZE, INCREMENTAL_RELAY_RATE, ceil_int, fee_rate

        rate = fee_rate(tx)
        horizon = self.policy.payout_fee_horizon_blocks
        needed = market.rate_for(horizon) if market is not None else None
        self.evidence["fee"] = {
            "fee": str(tx.fee) if tx.fee is not None else None,
            "vsize": tx.vsize,
            "rate_sat_vb": str(rate) if rate is not None else None,
            "needed_sat_vb": str(needed) if needed is not None else None,
            "horizon_blocks": horizon,
        }
        if rate is None or needed is None:
            return self._verdict(
                PayoutCode.PENDING,
                "In the mempool; its fee rate or the fee market is unknown, so no ETA can be given.",
                "Tell the player the withdrawal is on its way; depositdesk checks again shortly.",
                message="payout_pending_unseen",
            )
        if rate < needed:
            assert tx.vsize is not None and tx.fee is not None
            target_fee = ceil_int(needed * tx.vsize)
            if tx.rbf_signalled:
                bump = max(target_fee, tx.fee + ceil_int(INCREMENTAL_RELAY_RATE * tx.vsize))
                advice = (
                    f"It signals RBF: replace it with the same inputs and a fee of at least {bump} sat "
                    f"({needed} sat/vB over {tx.vsize} vB)."
                )
                self.evidence["advice"] = {"kind": "rbf", "min_fee_sat": str(bump)}
            else:
                change = self._change_output(tx)
                if change is not None:
                    child_fee = ceil_int(needed * (tx.vsize + CHILD_VSIZE)) - tx.fee
                    advice = (
                        f"It does not signal RBF: CPFP from the change output {tx.tx_hash}:{change.index} "
                        f"({self.policy.assets.format(change.amount_base_units, 'BTC')} BTC to {change.to_address}) "
                        f"with a child paying at least {child_fee} sat, so the pair pays {needed} sat/vB."
                    )
                    self.evidence["advice"] = {
                        "kind": "cpfp",
                        "change_output": {"txid": tx.tx_hash, "vout": change.index, "address": change.to_address},
                        "min_child_fee_sat": str(child_fee),
                    }
                else:
                    advice = (
                        "It does not signal RBF and has no change output to spend: wait, or re-send after it drops."
                    )
                    self.evidence["advice"] = {"kind": "none"}
            return self._verdict(
                PayoutCode.STUCK,
                f"Stuck: the payout pays {rate} sat/vB, below the {needed} sat/vB that confirms within "
                f"{horizon} blocks now.",
                f"Escalate to finance. {advice}",
            )
        blocks = market.blocks_ahead(rate) or 1
        eta = max(1, -(-blocks * self.policy.block_seconds[Chain.BTC] // 60))
        self.evidence["eta_minutes"] = eta
        return self._verdict(
            PayoutCode.PENDING,
            f"In the mempool at {rate} sat/vB (≥ {needed} needed within {horizon} blocks): expected in about "
            f"{blocks} block(s), ~{eta} min.",
            "Tell the player the withdrawal is on its way and when to expect it.",
            eta_minutes=eta,
        )

    def _change_output(self, tx: ChainTx) -> Transfer | None:
        """The output paying the hot wallet back: to a sender address, else the one not to the player."""
        others = [t for t in tx.transfers if t.to_address and t.to_address != self.payout.to_address]
        senders = tx.sender_addresses
        back = [t for t in others if t.to_address in senders]
        chosen = back or others
        return max(chosen, key=lambda t: t.amount_base_units) if chosen else None

    def _evm_mempool(self, tx: ChainTx, market: Any) -> Verdict:
        base_fee = market.base_fee if market is not None else None
        most = tx.max_fee_per_gas
        self.evidence["fee"] = {
            "max_fee_per_gas": str(most) if most is not None else None,
            "base_fee": str(base_fee) if base_fee is not None else None,
            "nonce": tx.nonce,
        }
        if base_fee is None or most is None:
            return self._verdict(
                PayoutCode.PENDING,
                "In the mempool; its max fee or the base fee is unknown, so no ETA can be given.",
                "Tell the player the withdrawal is on its way; depositdesk checks again shortly.",
                message="payout_pending_unseen",
            )
        if most < base_fee:
            suggested = max(2 * base_fee, most + most // 10 + 1)
            self.evidence["advice"] = {"kind": "replace", "nonce": tx.nonce, "min_max_fee_per_gas": str(suggested)}
            return self._verdict(
                PayoutCode.STUCK,
                f"Stuck: its max fee per gas ({_gwei(most)} gwei) is below the current base fee ({_gwei(base_fee)} gwei), "
                "so no block can include it.",
                f"Escalate to finance: send a replacement from {tx.signer} with the same nonce {tx.nonce} and a "
                f"higher fee (maxFeePerGas at least {_gwei(suggested)} gwei, more than 10% above the current one).",
            )
        eta = max(1, -(-self.policy.block_seconds[self.payout.chain] // 60))
        self.evidence["eta_minutes"] = eta
        return self._verdict(
            PayoutCode.PENDING,
            f"In the mempool; its max fee ({_gwei(most)} gwei) covers the base fee ({_gwei(base_fee)} gwei): "
            f"expected in the next block, ~{eta} min.",
            "Tell the player the withdrawal is on its way and when to expect it.",
            eta_minutes=eta,
        )

    @staticmethod
    def _minutes(delta: timedelta) -> int:
        return max(0, int(delta.total_seconds() // 60))

    def _verdict(
        self,
        code: PayoutCode | Code,
        summary: str,
        action: str,
        *,
        amount: int | None = None,
        eta_minutes: int | None = None,
        final_override: bool | None = None,
        message: str | None = None,
        finance: bool | None = None,
    ) -> Verdict:
        tx = self.tx
        facts: dict[str, Any] = {
            "required": self.required,
            "amount": self._fmt(amount if amount is not None else self.payout.amount),
            "asset": self.payout.asset,
            "network": _NETWORK_NAMES.get(self.payout.chain.value, self.payout.chain.value.upper()),
        }
        if eta_minutes is None:
            eta_minutes = self.evidence.get("eta_minutes")
        if tx is not None and tx.status is not TxStatus.NOT_FOUND:
            facts["confirmations"] = tx.confirmations
            self.evidence["confirmations"] = f"{tx.confirmations}/{self.required}"
            if code is PayoutCode.CONFIRMING:
                remaining = max(self.required - tx.confirmations, 1)
                eta_minutes = max(1, -(-remaining * self.policy.block_seconds[self.payout.chain] // 60))
        if eta_minutes is not None:
            facts["eta_minutes"] = eta_minutes
            self.evidence["eta_minutes"] = eta_minutes
        final = code not in PAYOUT_NEVER_FINAL and code is not Code.PROVIDER_UNAVAILABLE
        if code in (PayoutCode.WRONG_ADDRESS, PayoutCode.AMOUNT_DIFFERS) and (
            tx is None or tx.status is not TxStatus.CONFIRMED
        ):
            final = False  # a mempool tx may still be replaced
        if code is PayoutCode.REPLACED:
            final = False
        if final_override is not None:
            final = final_override
        if self.facts.lookup is not None and self.facts.lookup.disputed:
            final = False
        recheck = _PAYOUT_RECHECK.get(code, _RECHECK.get(code, timedelta(minutes=10)))  # type: ignore[call-overload]
        self.evidence["payout_code"] = code.value
        # Whether finance must act now (the payout auditor's finding, the bot's handover): the casino's
        # own errors, except a payout still within its grace or a replacement on its way.
        self.evidence["finance_must_act"] = code in PAYOUT_CASINO_ERRORS if finance is None else finance
        return Verdict(
            code=code,
            final=final,
            summary=summary,
            action=action,
            player_message=player_messages(message or code.value, facts),
            player_message_handed_on=handed_on_messages(message or code.value, facts),
            evidence=self.evidence,
            next_check_at=None if final else self.facts.now + recheck,
        )


def replace_tx(payout: Payout, tx_hash: str) -> Payout:
    from dataclasses import replace as _replace

    return _replace(payout, tx_hash=tx_hash)


_NETWORK_NAMES = {"btc": "Bitcoin", "eth": "Ethereum"}


def _gwei(wei: int) -> str:
    return format_amount(wei, 9)
