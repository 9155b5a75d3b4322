"""The evidence a verdict rests on, as JSON-ready dicts: chain facts, outputs, ledger rows."""

from __future__ import annotations

from typing import Any

from chains.assets import NATIVE_ASSET, AssetRegistry, format_amount
from chains.base import ChainTx, Transfer, TransferKind
from investigations.ledger import DepositAddress, LedgerDeposit

EVM_NATIVE_DECIMALS = 18


def amount(assets: AssetRegistry, base_units: int, symbol: str, transfer: Transfer | None = None) -> str:
    """A decimal string; native coins of other EVM networks have 18 decimals, foreign tokens raw units."""
    if ":" in symbol:  # a token this deployment does not know (erc20:, trc20:, trc10:): raw units
        return str(base_units)
    if assets.get(symbol) is None and transfer is not None and transfer.kind is not TransferKind.TOKEN:
        return format_amount(base_units, EVM_NATIVE_DECIMALS)
    return assets.format(base_units, symbol)


def tx_evidence(tx: ChainTx, required: int, assets: AssetRegistry) -> dict[str, Any]:
    native = NATIVE_ASSET[tx.chain]
    tron = {}
    if tx.resources is not None:  # TRON: what the tx cost in energy and bandwidth, and the TRX burnt
        tron = {
            "energy_used": tx.resources.get("energy_used", 0),
            "bandwidth_used": tx.resources.get("bandwidth_used", 0),
            "fee_burnt": format_amount(tx.resources.get("fee_burnt_sun", 0), 6) + " TRX",
        }
    if tx.failure:
        tron["failure"] = tx.failure
    return tron | {
        "status": tx.status.value,
        "network": tx.network,
        "block_height": tx.block_height,
        "block_hash": tx.block_hash,
        "confirmations": tx.confirmations,
        "required_confirmations": required,
        "finalized": tx.finalized,
        "block_time": tx.timestamp.isoformat() if tx.timestamp else None,
        "fee": assets.format(tx.fee, native, tx.chain) if tx.fee is not None else None,
        "rbf_signalled": tx.rbf_signalled,
        "senders": sorted(tx.sender_addresses),
        "inputs": [f"{i.txid}:{i.vout}" for i in tx.inputs],
        "providers": tx.providers,
    }


def transfers_evidence(
    tx: ChainTx, deposit_addresses: dict[str, DepositAddress], assets: AssetRegistry
) -> list[dict[str, Any]]:
    outputs = []
    for transfer in tx.transfers:
        row = deposit_addresses.get(transfer.to_address or "")
        outputs.append(
            {
                "index": transfer.index,
                "kind": transfer.kind.value,
                "address": transfer.to_address,
                "asset": transfer.asset,
                "amount": amount(assets, transfer.amount_base_units, transfer.asset, transfer),
                "ours": row is not None,
                "player_ref": row.player_ref if row else None,
            }
        )
    return outputs


def ledger_evidence(row: LedgerDeposit, assets: AssetRegistry) -> dict[str, Any]:
    return {
        "address": row.address,
        "asset": row.asset,
        "amount": assets.format(row.amount_base_units, row.asset),
        "status": row.status,
        "player_ref": row.player_ref,
        "index": row.output_index,
        "credited_at": row.credited_at.isoformat() if row.credited_at else None,
    }
