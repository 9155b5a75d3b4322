"""Bitcoin mainnet address and txid validation, and scriptPubKey -> address.

Base58Check is decoded with python-bitcoinlib; segwit (v0 Bech32, v1+ Bech32m) with
`chains.bitcoin.bech32`. Only mainnet is watched: testnet, signet and regtest addresses
are refused with a message that says which network they belong to.
"""

from __future__ import annotations

import re

from bitcoin.base58 import Base58ChecksumError, CBase58Data, InvalidBase58Error
from bitcoin.core.script import CScript

from chains.base import InvalidAddress, InvalidTxHash
from chains.bitcoin.bech32 import Bech32Error, decode_segwit, encode_segwit

MAINNET_HRP = "bc"
_P2PKH_VERSION = 0x00
_P2SH_VERSION = 0x05
_TEST_NETWORK_VERSIONS = {0x6F, 0xC4}
_PRIVATE_KEY_VERSIONS = {0x80, 0xEF}
_TEST_NETWORK_HRPS = {"tb": "testnet or signet", "bcrt": "regtest"}
_TXID = re.compile(r"[0-9a-fA-F]{64}")


def normalize_txid(text: str) -> str:
    """A Bitcoin txid: 64 hex characters, returned lower case."""
    candidate = text.strip()
    if candidate[:2].lower() == "0x":
        raise InvalidTxHash(f"{candidate!r} starts with 0x: that is an Ethereum-style hash, not a Bitcoin txid")
    if not _TXID.fullmatch(candidate):
        raise InvalidTxHash(
            f"{candidate!r} is not a Bitcoin txid: expected 64 hexadecimal characters, got {len(candidate)} characters"
        )
    return candidate.lower()


def normalize_address(text: str) -> str:
    """A Bitcoin mainnet address in its canonical form (segwit lower case); else InvalidAddress."""
    address = text.strip()
    if not address:
        raise InvalidAddress("the address is empty")
    if address[:2].lower() == "0x":
        raise InvalidAddress(f"{address!r} is an Ethereum-style address, not a Bitcoin address")
    lowered = address.lower()
    for hrp, network in _TEST_NETWORK_HRPS.items():
        if lowered.startswith(hrp + "1"):
            raise InvalidAddress(
                f"{address!r} is a Bitcoin {network} address; depositdesk watches Bitcoin mainnet only"
            )
    if lowered.startswith(MAINNET_HRP + "1"):
        try:
            version, program = decode_segwit(MAINNET_HRP, address)
        except Bech32Error as exc:
            raise InvalidAddress(f"{address!r} is not a valid Bitcoin address: it {exc}") from exc
        return encode_segwit(MAINNET_HRP, version, program)
    return _normalize_base58(address)


def _normalize_base58(address: str) -> str:
    try:
        decoded = CBase58Data(address)
    except Base58ChecksumError as exc:
        raise InvalidAddress(
            f"{address!r} is not a valid Bitcoin address: its checksum does not match (a typo?)"
        ) from exc
    except (InvalidBase58Error, ValueError, IndexError) as exc:
        raise InvalidAddress(f"{address!r} is not a Bitcoin address (not Base58Check, Bech32 or Bech32m)") from exc
    if decoded.nVersion in _PRIVATE_KEY_VERSIONS:
        raise InvalidAddress(
            "this is a private key, not an address: it must never be shared; "
            "ask the player for the receiving address instead",
        )
    if decoded.nVersion in _TEST_NETWORK_VERSIONS:
        raise InvalidAddress(
            f"{address!r} is a Bitcoin testnet/signet/regtest address; depositdesk watches Bitcoin mainnet only"
        )
    if decoded.nVersion not in (_P2PKH_VERSION, _P2SH_VERSION) or len(decoded) != 20:
        raise InvalidAddress(
            f"{address!r} is a Base58Check string of another coin or kind "
            f"(version byte {decoded.nVersion}), not a Bitcoin mainnet address"
        )
    return address


def address_from_script(script_hex: str) -> str | None:
    """The mainnet address a scriptPubKey pays, or None for scripts without one (P2PK, bare
    multisig, OP_RETURN, non-standard)."""
    return address_from_script_bytes(bytes.fromhex(script_hex))


def address_from_script_bytes(raw: bytes) -> str | None:
    """`address_from_script` for a script already in bytes (a raw block's outputs)."""
    script = CScript(raw)
    if len(raw) == 25 and raw[:3] == b"\x76\xa9\x14" and raw[23:] == b"\x88\xac":
        return str(CBase58Data.from_bytes(raw[3:23], _P2PKH_VERSION))
    if script.is_p2sh():
        return str(CBase58Data.from_bytes(raw[2:22], _P2SH_VERSION))
    if script.is_witness_scriptpubkey():
        version = script.witness_version()
        program = raw[2:]
        if version == 0 and len(program) not in (20, 32):
            return None  # no such v0 address (BIP-141); lengths 2-40 and versions 0-16 are checked above
        return encode_segwit(MAINNET_HRP, version, program, verify=False)
    return None
