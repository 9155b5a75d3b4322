"""Who a transaction paid among the casino's addresses, and which of that the ticket is about.

The questions the verdict rules ask of a found transaction: the role of the ticket's address
(recipient, sender, another address of the same player), what each casino address received in
each asset and what the ledger booked for it, and whether the ledger books it for someone else.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from chains.assets import AssetRegistry
from chains.base import ChainTx, TransferKind
from investigations.ledger import DepositAddress, LedgerDeposit

PAYING_KINDS = {TransferKind.OUTPUT, TransferKind.NATIVE, TransferKind.TOKEN, TransferKind.INTERNAL}
INDEXED_KINDS = {TransferKind.OUTPUT, TransferKind.TOKEN}  # the ledger's `index` names these


@dataclass
class Paid:
    """What the tx paid one casino address in one asset, and what the ledger says about it."""

    address: str
    owner: str
    asset: str
    accepted: bool
    amount: int = 0
    indexes: list[int] = field(default_factory=list)
    ledger: list[LedgerDeposit] = field(default_factory=list)

    @property
    def credited(self) -> bool:
        return any(row.status == "credited" for row in self.ledger)

    @property
    def credited_amount(self) -> int:
        return sum(row.amount_base_units for row in self.ledger if row.status == "credited")


@dataclass
class Payments:
    tx: ChainTx
    deposit_addresses: dict[str, DepositAddress]
    ledger: list[LedgerDeposit]
    assets: AssetRegistry
    ticket_address: str | None = None
    ticket_player_ref: str | None = None

    def owner(self, address: str | None) -> str | None:
        row = self.deposit_addresses.get(address or "")
        return row.player_ref if row else None

    def ticket_player(self) -> str | None:
        """The player the ticket is about: named on it, or owner of the casino address it quotes."""
        return self.ticket_player_ref or self.owner(self.ticket_address)

    def address_role(self, address: str) -> str:
        if any(t.to_address == address for t in self.tx.transfers):
            return "recipient"
        if address in self.tx.sender_addresses:
            return "sender"
        owner = self.owner(address)
        if owner and any(self.owner(t.to_address) == owner for t in self.tx.transfers):
            # Another deposit address of the same player: the player quoted the other one.
            return "same_player_other_address"
        return "absent"

    def to_casino(self) -> list[Paid]:
        """Per casino address and asset: the amount paid, the transfers, the ledger rows about it."""
        paid: dict[tuple[str, str], Paid] = {}
        for transfer in self.tx.transfers:
            row = self.deposit_addresses.get(transfer.to_address or "")
            if row is None or transfer.kind not in PAYING_KINDS:
                continue
            key = (row.address, transfer.asset)
            if key not in paid:
                paid[key] = Paid(row.address, row.player_ref, transfer.asset, self._accepts(row, transfer.asset))
            entry = paid[key]
            entry.amount += transfer.amount_base_units
            if transfer.kind in INDEXED_KINDS:
                entry.indexes.append(transfer.index)
        for entry in paid.values():
            entry.ledger = [row for row in self.ledger if self._books(row, entry)]
        return list(paid.values())

    @staticmethod
    def _books(row: LedgerDeposit, entry: Paid) -> bool:
        """Whether a ledger row is about what this address received. Its index is only compared when the
        transfers have indexes (outputs, token logs): an ETH value or internal transfer has none."""
        if row.address != entry.address or row.asset != entry.asset:
            return False
        return row.output_index is None or not entry.indexes or row.output_index in entry.indexes

    def concerning_ticket(self, paid: list[Paid]) -> list[Paid]:
        concerned = paid
        player = self.ticket_player()
        if player:
            concerned = [p for p in concerned if p.owner == player]
        if self.ticket_address and any(p.address == self.ticket_address for p in concerned):
            concerned = [p for p in concerned if p.address == self.ticket_address]
        return concerned

    def claims_by_others(self, concerned: list[Paid]) -> list[LedgerDeposit]:
        """Ledger rows (credited or pending) that book the ticket's transfers for someone other than
        their rightful player: the ticket's player, or else the owner of the address they paid."""
        player = self.ticket_player()
        claims = [
            row
            for entry in concerned
            for row in entry.ledger
            if row.status != "rejected" and row.player_ref != (player or entry.owner)
        ]
        # A row booking this tx to an address it never paid claims it too (when we know for whom it is).
        paid_addresses = {t.to_address for t in self.tx.transfers}
        owners = {entry.owner for entry in concerned}
        claims += [
            row
            for row in self.ledger
            if row.status != "rejected"
            and row.address not in paid_addresses
            and row.asset in {entry.asset for entry in concerned}
            and row.player_ref not in ({player} if player else owners)
        ]
        return claims

    def _accepts(self, row: DepositAddress, asset: str) -> bool:
        known = self.assets.get(asset, row.chain) or self.assets.get(asset)
        if known is None or known.chain.value != row.chain:
            return False
        return not row.asset_list or asset in row.asset_list
