"""TRON addresses and transaction ids, with our own Base58Check codec.

A TRON address is 21 bytes: the prefix byte 0x41 and a 20-byte body, the same body an EVM
address has (the same key controls both forms). It is written two ways: Base58Check (``T…``,
34 characters: the 21 bytes and the first 4 bytes of their double SHA-256) and hex (``41…``,
42 characters). Inside depositdesk an address is always its ``T…`` form.

The codec is ours (tronpy, the usual library, pins a web3 that cannot sit beside ours); it is
tested against published mainnet address/hex pairs.
"""

from __future__ import annotations

import hashlib
import re

from chains.base import InvalidAddress, InvalidTxHash

PREFIX = 0x41
_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_INDEX = {c: i for i, c in enumerate(_ALPHABET)}
_HEX_ADDRESS = re.compile(r"(?:0x)?41[0-9a-fA-F]{40}")
_BASE58 = re.compile(r"T[1-9A-HJ-NP-Za-km-z]{33}")
_TXID = re.compile(r"[0-9a-fA-F]{64}")


def _checksum(payload: bytes) -> bytes:
    return hashlib.sha256(hashlib.sha256(payload).digest()).digest()[:4]


def b58encode(data: bytes) -> str:
    number = int.from_bytes(data, "big")
    out = ""
    while number:
        number, rest = divmod(number, 58)
        out = _ALPHABET[rest] + out
    zeros = len(data) - len(data.lstrip(b"\0"))
    return "1" * zeros + out


def b58decode(text: str) -> bytes:
    number = 0
    for char in text:
        if char not in _INDEX:
            raise ValueError(f"{char!r} is not a Base58 character")
        number = number * 58 + _INDEX[char]
    body = number.to_bytes((number.bit_length() + 7) // 8, "big") if number else b""
    zeros = len(text) - len(text.lstrip("1"))
    return b"\0" * zeros + body


def encode(body20: bytes) -> str:
    """The ``T…`` address of a 20-byte body."""
    if len(body20) != 20:
        raise ValueError("a TRON address body is 20 bytes")
    payload = bytes([PREFIX]) + body20
    return b58encode(payload + _checksum(payload))


def body_of(address: str) -> bytes:
    """The 20-byte body of a ``T…`` or ``41…`` address (InvalidAddress otherwise)."""
    return bytes.fromhex(to_hex(normalize_address(address))[2:])


def to_hex(address: str) -> str:
    """``41…`` (lower case) of a ``T…`` address."""
    raw = b58decode(address)
    return raw[:21].hex()


def from_hex(text: str) -> str:
    """``T…`` of a ``41…`` hex address (with or without 0x)."""
    candidate = text.strip()
    if not _HEX_ADDRESS.fullmatch(candidate):
        raise InvalidAddress(f"{candidate!r} is not a TRON hex address: expected 41 and 40 hexadecimal characters")
    return encode(bytes.fromhex(candidate.removeprefix("0x").removeprefix("0X")[2:]))


def from_evm(address: str) -> str:
    """The TRON form (``T…``) of an EVM ``0x`` address: the same 20 bytes."""
    return encode(bytes.fromhex(address.strip()[2:]))


def to_evm(address: str) -> str:
    """The EVM form (``0x…``, lower case) of a TRON address: the same 20 bytes."""
    return "0x" + body_of(address).hex()


def is_tron_address(text: str) -> bool:
    try:
        normalize_address(text)
    except InvalidAddress:
        return False
    return True


def normalize_address(text: str) -> str:
    """A TRON mainnet address as ``T…``; the hex ``41…`` form is accepted too."""
    candidate = text.strip()
    if _HEX_ADDRESS.fullmatch(candidate):
        return from_hex(candidate)
    if not _BASE58.fullmatch(candidate):
        raise InvalidAddress(
            f"{candidate!r} is not a TRON address: expected T and 33 Base58 characters (or 41 and 40 hex characters)"
        )
    raw = b58decode(candidate)
    if len(raw) != 25 or raw[0] != PREFIX:
        raise InvalidAddress(f"{candidate!r} is not a TRON mainnet address (wrong length or prefix)")
    if _checksum(raw[:21]) != raw[21:]:
        raise InvalidAddress(f"{candidate!r} has a wrong checksum (a typo?)")
    return candidate


def normalize_txid(text: str) -> str:
    """A TRON transaction id: 64 hex characters (no 0x), lower case."""
    candidate = text.strip()
    if candidate[:2].lower() == "0x":
        candidate = candidate[2:]
    if not _TXID.fullmatch(candidate):
        raise InvalidTxHash(f"{text.strip()!r} is not a TRON transaction id: expected 64 hexadecimal characters")
    return candidate.lower()
