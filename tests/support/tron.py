"""A java-tron HTTP API (and TronGrid's /v1 listing) served by `responses`, in the documented shapes.

Cases are built from real mainnet addresses and real ABI encoding of ``transfer``: the TRX one is
a mainnet transaction (its txID is the SHA-256 of its raw_data_hex, checked in the tests), the
TRC-20 ones are constructed in the shape of ``/wallet/gettransactioninfobyid`` answers.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import responses

from chains.tron.addresses import body_of, to_hex
from chains.tron.tokens import TRANSFER_TOPIC, encode_transfer_call

USDT = "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"
# A mainnet TRX transfer of 5 sun (block 62258698), as /wallet/gettransactionbyid answers it.
TRX_TXID = "47086db397eac45d2fe7dacedcb6f77267d6895dce645210e495e64f8a2a7910"
TRX_SENDER = "TQ7pF3NTDL2Tjz5rdJ6ECjQWjaWHpLZJMH"
TRX_PAYEE = "TAVrrARNdnjHgCGMQYeQV7hv4PSu7mVsMj"
TRX_RAW_HEX = (
    "0a02fdf622084cd898aed8ce5d1440f0d2ccf1fd315a65080112610a2d747970652e676f6f676c65617069732e636f6d2f70726f"
    "746f636f6c2e5472616e73666572436f6e747261637412300a15419b3281a60ab7a44f351ef2896c653f134972ad221215410"
    "5cc125604448afeb6867eb688efb7e80411d57a1805709c91c9f1fd31"
)
TRX_BLOCK = 62258698


def trx_transfer_tx() -> dict[str, Any]:
    return {
        "ret": [{"contractRet": "SUCCESS"}],
        "signature": [
            "c1c0b1ad18f56248ebc6820c611cd65683cef6b5deed8002246cc00df7e79f9f73d48c35b8c2e41694ef23c8020ab8c578c0aa57b7e079683f322e45c88b0e0700"
        ],
        "txID": TRX_TXID,
        "raw_data": {
            "contract": [
                {
                    "parameter": {
                        "value": {
                            "amount": 5,
                            "owner_address": "419b3281a60ab7a44f351ef2896c653f134972ad22",
                            "to_address": "4105cc125604448afeb6867eb688efb7e80411d57a",
                        },
                        "type_url": "type.googleapis.com/protocol.TransferContract",
                    },
                    "type": "TransferContract",
                }
            ],
            "ref_block_bytes": "fdf6",
            "ref_block_hash": "4cd898aed8ce5d14",
            "expiration": 1717419846000,
            "timestamp": 1717419788444,
        },
        "raw_data_hex": TRX_RAW_HEX,
    }


def trx_transfer_info(block: int = TRX_BLOCK) -> dict[str, Any]:
    """A plain TRX transfer's info: no receipt.result at all (only bandwidth)."""
    return {
        "id": TRX_TXID,
        "blockNumber": block,
        "blockTimeStamp": 1717419792000,
        "contractResult": [""],
        "receipt": {"net_usage": 265},
    }


def trc20_tx(txid: str, sender: str, recipient: str, amount: int, *, contract: str = USDT) -> dict[str, Any]:
    return {
        "ret": [{"contractRet": "SUCCESS"}],
        "txID": txid,
        "raw_data": {
            "contract": [
                {
                    "parameter": {
                        "value": {
                            "data": encode_transfer_call(body_of(recipient), amount),
                            "owner_address": to_hex(sender),
                            "contract_address": to_hex(contract),
                        },
                        "type_url": "type.googleapis.com/protocol.TriggerSmartContract",
                    },
                    "type": "TriggerSmartContract",
                }
            ],
            "fee_limit": 100_000_000,
            "timestamp": 1717419788444,
        },
    }


def transfer_log(sender: str, recipient: str, amount: int, *, contract: str = USDT) -> dict[str, Any]:
    return {
        "address": to_hex(contract)[2:],
        "topics": [TRANSFER_TOPIC, body_of(sender).hex().rjust(64, "0"), body_of(recipient).hex().rjust(64, "0")],
        "data": format(amount, "064x"),
    }


def trc20_info(
    txid: str, block: int, logs: list[dict[str, Any]], *, result: str = "SUCCESS", contract: str = USDT
) -> dict[str, Any]:
    info: dict[str, Any] = {
        "id": txid,
        "fee": 13_844_850 if result == "SUCCESS" else 27_255_900,
        "blockNumber": block,
        "blockTimeStamp": 1717419792000,
        "contractResult": [""],
        "contract_address": to_hex(contract),
        "receipt": {
            "energy_fee": 13_499_850 if result == "SUCCESS" else 27_255_900,
            "energy_usage_total": 64_285 if result == "SUCCESS" else 129_790,
            "net_fee": 345_000,
            "net_usage": 0 if result == "SUCCESS" else 345,
            "result": result,
        },
        "log": logs,
    }
    if result != "SUCCESS":
        info["result"] = "FAILED"
        info["resMessage"] = "5245564552534544"  # "REVERSED"... any hex text
        info["log"] = []
    return info


def trc10_tx(txid: str, sender: str, recipient: str, amount: int, token_id: str = "1002000") -> dict[str, Any]:
    return {
        "ret": [{"contractRet": "SUCCESS"}],
        "txID": txid,
        "raw_data": {
            "contract": [
                {
                    "parameter": {
                        "value": {
                            "amount": amount,
                            "asset_name": token_id.encode().hex(),
                            "owner_address": to_hex(sender),
                            "to_address": to_hex(recipient),
                        },
                        "type_url": "type.googleapis.com/protocol.TransferAssetContract",
                    },
                    "type": "TransferAssetContract",
                }
            ]
        },
    }


@dataclass
class TronWorld:
    head: int = TRX_BLOCK + 100
    solid: int = TRX_BLOCK + 81
    txs: dict[str, dict[str, Any]] = field(default_factory=dict)
    infos: dict[str, dict[str, Any]] = field(default_factory=dict)
    blocks: dict[int, dict[str, Any]] = field(default_factory=dict)
    block_infos: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    listings: dict[str, list[list[dict[str, Any]]]] = field(default_factory=dict)  # path -> pages
    requests: Counter[str] = field(default_factory=Counter)  # "host path" -> count
    api_keys: list[str | None] = field(default_factory=list)
    faults: dict[str, list[tuple[int, str]]] = field(default_factory=dict)  # path -> answers to give first
    listing_params: list[dict[str, str]] = field(default_factory=list)

    def add_block(self, height: int, txs: list[tuple[dict[str, Any], dict[str, Any]]]) -> None:
        """A block holding these (tx, info) pairs, its parent the block below (hashes from the height)."""
        self.blocks[height] = {
            "blockID": f"{height:016x}" + "b" * 48,
            "block_header": {
                "raw_data": {
                    "number": height,
                    "timestamp": 1717419792000 + 3000 * (height - TRX_BLOCK),
                    "parentHash": f"{height - 1:016x}" + "b" * 48,
                }
            },
            "transactions": [tx for tx, _info in txs],
        }
        self.block_infos[height] = [{**info, "blockNumber": height} for _tx, info in txs]
        for tx, info in txs:
            self.add(tx, {**info, "blockNumber": height})

    def add(self, tx: dict[str, Any], info: dict[str, Any] | None = None) -> str:
        self.txs[tx["txID"]] = tx
        if info is not None:
            self.infos[tx["txID"]] = info
        return tx["txID"]

    def serve(self, mock: responses.RequestsMock, base: str) -> None:
        mock.add_callback(responses.POST, re.compile(re.escape(base) + r"/wallet(solidity)?/.*"), callback=self._answer)
        mock.add_callback(responses.GET, re.compile(re.escape(base) + r"/v1/.*"), callback=self._listing)

    def _key(self, request: Any) -> str:
        self.api_keys.append(request.headers.get("TRON-PRO-API-KEY"))
        path = request.path_url.split("?")[0]
        self.requests[path] += 1
        return path

    def _fault(self, path: str) -> tuple[int, dict[str, str], str] | None:
        queued = self.faults.get(path)
        if queued:
            status, body = queued.pop(0)
            return None if status == 0 else (status, {}, body)  # status 0: answer normally this time
        return None

    def _answer(self, request: Any) -> tuple[int, dict[str, str], str]:
        path = self._key(request)
        fault = self._fault(path)
        if fault is not None:
            return fault
        body = json.loads(request.body or b"{}")
        if path == "/wallet/gettransactionbyid":
            answer: Any = self.txs.get(body["value"], {})
        elif path == "/wallet/gettransactioninfobyid":
            answer = self.infos.get(body["value"], {})
        elif path == "/wallet/getnodeinfo":
            answer = {
                "block": f"Num:{self.head},ID:{self.head:016x}",
                "solidityBlock": f"Num:{self.solid},ID:{self.solid:016x}",
            }
        elif path == "/wallet/getblockbynum":
            answer = self.blocks.get(body["num"], {})
        elif path == "/wallet/gettransactioninfobyblocknum":
            answer = self.block_infos.get(body["num"], [])
        else:
            return 404, {}, "not found"
        return 200, {"Content-Type": "application/json"}, json.dumps(answer)

    def _listing(self, request: Any) -> tuple[int, dict[str, str], str]:
        path = self._key(request)
        self.listing_params.append(dict(request.params))
        fault = self._fault(path)
        if fault is not None:
            return fault
        pages = self.listings.get(path, [[]])
        fingerprint = request.params.get("fingerprint")
        page = int(fingerprint[1:]) if fingerprint else 0
        meta: dict[str, Any] = {"at": 1717419792000, "page_size": len(pages[page])}
        if page + 1 < len(pages):
            meta["fingerprint"] = f"p{page + 1}"
            meta["links"] = {"next": f"https://api.trongrid.io{path}?fingerprint=p{page + 1}"}
        return (
            200,
            {"Content-Type": "application/json"},
            json.dumps({"data": pages[page], "success": True, "meta": meta}),
        )
