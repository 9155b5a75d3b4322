"""Ethereum address and tx-hash validation: 0x + hex, EIP-55 checksum checked when mixed case."""

from __future__ import annotations

import re

from eth_utils import is_checksum_address

from chains.base import InvalidAddress, InvalidTxHash

_ADDRESS = re.compile(r"0x[0-9a-fA-F]{40}")
_TX_HASH = re.compile(r"0x[0-9a-fA-F]{64}")


def normalize_address(text: str) -> str:
    """Lower-case 0x address; a mixed-case one must carry a valid EIP-55 checksum."""
    address = text.strip()
    if not _ADDRESS.fullmatch(address):
        raise InvalidAddress(
            f"{address!r} is not an Ethereum address: expected 0x followed by 40 hexadecimal characters"
        )
    body = address[2:]
    if body != body.lower() and body != body.upper() and not is_checksum_address(address):
        raise InvalidAddress(f"{address!r} has mixed case but its EIP-55 checksum is wrong (a typo?)")
    return "0x" + body.lower()


def normalize_tx_hash(text: str) -> str:
    candidate = text.strip()
    if not candidate.lower().startswith("0x"):
        candidate = "0x" + candidate
    if not _TX_HASH.fullmatch(candidate):
        raise InvalidTxHash(
            f"{text.strip()!r} is not an Ethereum transaction hash: expected 0x and 64 hexadecimal characters"
        )
    return candidate.lower()
