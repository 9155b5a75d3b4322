"""TRON blocks for the deposit auditor, followed on the solidified head (never the unsolidified one).

Per block, side by side: ``POST /wallet/getblockbynum`` (its transactions) and
``/wallet/gettransactioninfobyblocknum`` (their receipts and ``Transfer`` logs). A block whose
answer fails or does not hold together (an info missing, another block's number) raises: the
follower keeps its cursor and asks for that block again next round, so no block is ever jumped
over. The blocks read before it in the same round are kept. The tip the follower follows is the
solidified block, so a block it read cannot be reorged away; parent hashes are still checked.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from chains import http
from chains.base import Chain, ChainError, ProviderBadResponse, TransferKind
from chains.blocks import Block, BlockTransfer, check_consecutive
from chains.tron.wallet import Heads, TronHttpAdapter

PAYING = {TransferKind.NATIVE, TransferKind.TOKEN}


class TronBlocks(TronHttpAdapter):
    def tip_height(self) -> int:
        """The solidified block: the auditor never reads past it."""
        return self.heads().solid

    def block_hash(self, height: int) -> str | None:
        block = self.post("/wallet/getblockbynum", {"num": height})
        return str(block["blockID"]).lower() if isinstance(block, dict) and block.get("blockID") else None

    def blocks(self, start: int, count: int) -> list[Block]:
        blocks: list[Block] = []
        for height in range(start, start + count):
            try:
                blocks.append(self.block(height))
            except ChainError:
                if not blocks:
                    raise
                break  # keep what was read before it; this block is asked again next round
        check_consecutive(blocks, self.name)
        return blocks

    def block(self, height: int) -> Block:
        infos_future = http.side_by_side(lambda: self.post("/wallet/gettransactioninfobyblocknum", {"num": height}))
        raw = self.post("/wallet/getblockbynum", {"num": height})
        infos = self._wait(infos_future, f"receipts of block {height}")
        if not isinstance(raw, dict) or not raw.get("blockID"):
            raise ProviderBadResponse(f"{self.name}: block {height} is unknown", provider=self.name)
        try:
            return self._block(height, raw, infos if isinstance(infos, list) else [])
        except (KeyError, TypeError, ValueError, IndexError, AttributeError) as exc:
            raise ProviderBadResponse(f"{self.name}: malformed block {height} ({exc!r})", provider=self.name) from exc

    def _block(self, height: int, raw: dict[str, Any], infos: list[dict[str, Any]]) -> Block:
        header = raw["block_header"]["raw_data"]
        if int(header.get("number", 0)) != height:
            raise ProviderBadResponse(f"{self.name}: asked for block {height}, got another", provider=self.name)
        by_id = {str(info["id"]).lower(): info for info in infos}
        if any(int(info.get("blockNumber", height)) != height for info in infos):
            raise ProviderBadResponse(f"{self.name}: receipts of another block than {height}", provider=self.name)
        transfers = []
        for tx in raw.get("transactions") or []:
            txid = str(tx["txID"]).lower()
            info = by_id.get(txid)
            if info is None:
                raise ProviderBadResponse(
                    f"{self.name}: block {height} has a transaction without its receipt", provider=self.name
                )
            parsed = self.parse(txid, tx, {**info, "blockNumber": height}, Heads(height, height))
            transfers += [BlockTransfer(txid, t) for t in parsed.transfers if t.kind in PAYING]
        return Block(
            chain=Chain.TRON,
            height=height,
            block_hash=str(raw["blockID"]).lower(),
            parent_hash=str(header.get("parentHash", "")).lower(),
            timestamp=datetime.fromtimestamp(int(header["timestamp"]) / 1000, tz=UTC)
            if header.get("timestamp")
            else None,
            transfers=transfers,
            provider=self.name,
        )
