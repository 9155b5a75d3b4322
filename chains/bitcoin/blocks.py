"""Bitcoin blocks for the deposit auditor: one request per block, the raw block, parsed here.

Esplora: ``GET /blocks/:height`` names ten blocks' hashes in one answer, then ``GET
/block/:hash/raw`` per block. Bitcoin Core: one batch of ``getblockhash`` for the range, then
``getblock <hash> 0`` per block. The raw bytes are parsed with python-bitcoinlib, and every
output's script is turned into its address here (a provider's word is not needed).
"""

from __future__ import annotations

from datetime import UTC, datetime

from bitcoin.core import CBlock, b2lx

from chains import http
from chains.base import Chain, ProviderBadResponse, Transfer, TransferKind
from chains.bitcoin.addresses import address_from_script_bytes
from chains.bitcoin.core_rpc import BitcoinCoreAdapter
from chains.bitcoin.esplora import EsploraAdapter
from chains.blocks import Block, BlockTransfer, check_consecutive

_ESPLORA_PAGE = 10  # blocks named by one GET /blocks/:height


def parse_block(raw: bytes, height: int, provider: str) -> Block:
    """A raw block as a `Block`: one transfer per output (coinbase included) that pays an address."""
    try:
        block = CBlock.deserialize(raw)
    except Exception as exc:  # noqa: BLE001 - bitcoinlib raises several kinds for malformed bytes
        raise ProviderBadResponse(f"{provider}: block {height} is not a valid raw block", provider=provider) from exc
    transfers = []
    for tx in block.vtx:
        txid = b2lx(tx.GetTxid())
        for index, output in enumerate(tx.vout):
            address = address_from_script_bytes(bytes(output.scriptPubKey))
            if address is not None:
                transfer = Transfer("BTC", (), address, int(output.nValue), index, TransferKind.OUTPUT)
                transfers.append(BlockTransfer(txid, transfer))
    return Block(
        chain=Chain.BTC,
        height=height,
        block_hash=b2lx(block.GetHash()),
        parent_hash=b2lx(block.hashPrevBlock),
        timestamp=datetime.fromtimestamp(block.nTime, tz=UTC),
        transfers=transfers,
        provider=provider,
    )


class EsploraBlocks(EsploraAdapter):
    def block_hash(self, height: int) -> str | None:
        response = self._get(f"/block-height/{height}")
        text = response.text.strip().lower()
        if response.status_code == 404:
            return None
        if response.status_code != 200 or len(text) != 64:
            raise ProviderBadResponse(f"{self.name}: no block hash for height {height}", provider=self.name)
        return text

    def blocks(self, start: int, count: int) -> list[Block]:
        hashes: dict[int, str] = {}
        end = start + count - 1
        while len(hashes) < count:
            top = end - len(hashes)
            response = self._get(f"/blocks/{top}")
            listing = http.parse_json(response, provider=self.name) if response.status_code == 200 else None
            if not isinstance(listing, list) or not listing:
                raise ProviderBadResponse(f"{self.name}: no block list at {top}", provider=self.name)
            for item in listing[:_ESPLORA_PAGE]:
                height = item.get("height") if isinstance(item, dict) else None
                if isinstance(height, int) and start <= height <= end:
                    hashes[height] = str(item.get("id", "")).lower()
            if top not in hashes:
                raise ProviderBadResponse(f"{self.name}: block list at {top} lacks that block", provider=self.name)
        blocks = []
        for height in range(start, end + 1):
            response = self._get(f"/block/{hashes[height]}/raw")
            if response.status_code != 200:
                raise ProviderBadResponse(
                    f"{self.name}: HTTP {response.status_code} for a raw block", provider=self.name
                )
            blocks.append(self._checked(parse_block(response.content, height, self.name), hashes[height]))
        check_consecutive(blocks, self.name)
        return blocks

    def _checked(self, block: Block, expected_hash: str) -> Block:
        if block.block_hash != expected_hash:
            raise ProviderBadResponse(f"{self.name}: raw block hashes to another block", provider=self.name)
        return block


class CoreBlocks(BitcoinCoreAdapter):
    def block_hash(self, height: int) -> str | None:
        (answer,) = self._batch([("getblockhash", [height])])
        if answer.get("error"):
            if answer["error"].get("code") == -8:  # block height out of range
                return None
            raise self._rpc_error(answer["error"])
        return str(answer["result"]).lower()

    def blocks(self, start: int, count: int) -> list[Block]:
        answers = self._batch([("getblockhash", [height]) for height in range(start, start + count)])
        hashes = [str(self._result(answer)).lower() for answer in answers]
        blocks = []
        for offset, block_hash in enumerate(hashes):
            (answer,) = self._batch([("getblock", [block_hash, 0])])
            raw = self._result(answer)
            if not isinstance(raw, str):
                raise ProviderBadResponse(f"{self.name}: getblock did not answer hex", provider=self.name)
            block = parse_block(bytes.fromhex(raw), start + offset, self.name)
            if block.block_hash != block_hash:
                raise ProviderBadResponse(f"{self.name}: raw block hashes to another block", provider=self.name)
            blocks.append(block)
        check_consecutive(blocks, self.name)
        return blocks
