"""Bech32 (BIP-173) and Bech32m (BIP-350) segwit address encoding and decoding.

python-bitcoinlib 0.12.2 knows only Bech32, so taproot (`bc1p…`) and later witness versions
are decoded here, written from the BIP's specification and checked against its test vectors.
"""

from __future__ import annotations

from enum import Enum

CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
_GENERATOR = (0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3)


class Encoding(Enum):
    BECH32 = 1
    BECH32M = 0x2BC830A3


class Bech32Error(ValueError):
    pass


# The generators XORed together for each of the 32 values the top five bits can take: one lookup
# per character instead of five tests (the auditor derives thousands of addresses per block).
def _top_xor(top: int) -> int:
    combined = 0
    for bit, generator in enumerate(_GENERATOR):
        if top >> bit & 1:
            combined ^= generator
    return combined


_TOP_TABLE = tuple(_top_xor(top) for top in range(32))


def _polymod(values: list[int]) -> int:
    checksum = 1
    table = _TOP_TABLE
    for value in values:
        checksum = table[checksum >> 25] ^ ((checksum & 0x1FFFFFF) << 5 ^ value)
    return checksum


def _hrp_expand(hrp: str) -> list[int]:
    return [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]


def _create_checksum(hrp: str, data: list[int], encoding: Encoding) -> list[int]:
    polymod = _polymod(_hrp_expand(hrp) + data + [0] * 6) ^ encoding.value
    return [(polymod >> 5 * (5 - i)) & 31 for i in range(6)]


def bech32_decode(text: str) -> tuple[str, list[int], Encoding]:
    """Split and verify a Bech32/Bech32m string; returns (hrp, data without checksum, encoding)."""
    if any(ord(c) < 33 or ord(c) > 126 for c in text):
        raise Bech32Error("contains a character outside the printable ASCII range")
    if text.lower() != text and text.upper() != text:
        raise Bech32Error("mixes upper and lower case")
    if len(text) > 90:
        raise Bech32Error("is longer than 90 characters")
    text = text.lower()
    separator = text.rfind("1")
    if separator < 1:
        raise Bech32Error("has no human-readable part before the '1' separator")
    if separator + 7 > len(text):
        raise Bech32Error("is too short to hold a checksum")
    hrp = text[:separator]
    try:
        data = [CHARSET.index(c) for c in text[separator + 1 :]]
    except ValueError:
        raise Bech32Error("contains a character that Bech32 does not use (b, i, o or 1)") from None
    constant = _polymod(_hrp_expand(hrp) + data)
    for encoding in Encoding:
        if constant == encoding.value:
            return hrp, data[:-6], encoding
    raise Bech32Error("checksum does not match (a typo, or a character missing)")


def bech32_encode(hrp: str, data: list[int], encoding: Encoding) -> str:
    combined = data + _create_checksum(hrp, data, encoding)
    return hrp + "1" + "".join(CHARSET[d] for d in combined)


def convert_bits(data: list[int] | bytes, from_bits: int, to_bits: int, pad: bool) -> list[int]:
    accumulator = 0
    bits = 0
    result: list[int] = []
    max_value = (1 << to_bits) - 1
    for value in data:
        if value < 0 or value >> from_bits:
            raise Bech32Error("holds a value out of range")
        accumulator = (accumulator << from_bits) | value
        bits += from_bits
        while bits >= to_bits:
            bits -= to_bits
            result.append((accumulator >> bits) & max_value)
    if pad:
        if bits:
            result.append((accumulator << (to_bits - bits)) & max_value)
    elif bits >= from_bits:
        raise Bech32Error("has more padding than allowed")
    elif (accumulator << (to_bits - bits)) & max_value:
        raise Bech32Error("has non-zero padding")
    return result


def decode_segwit(expected_hrp: str, address: str) -> tuple[int, bytes]:
    """(witness version, witness program) of a segwit address, enforcing BIP-141/173/350 rules."""
    hrp, data, encoding = bech32_decode(address)
    if hrp != expected_hrp:
        raise Bech32Error(f"has human-readable part {hrp!r}, expected {expected_hrp!r}")
    if not data:
        raise Bech32Error("has an empty data part")
    version = data[0]
    if version > 16:
        raise Bech32Error(f"has witness version {version}; the highest is 16")
    program = bytes(convert_bits(data[1:], 5, 8, False))
    if not 2 <= len(program) <= 40:
        raise Bech32Error(f"has a witness program of {len(program)} bytes; allowed are 2 to 40")
    if version == 0 and len(program) not in (20, 32):
        raise Bech32Error(f"is version 0 with a {len(program)}-byte program; only 20 or 32 exist")
    if version == 0 and encoding is not Encoding.BECH32:
        raise Bech32Error("is version 0 but uses the Bech32m checksum (v0 must use Bech32)")
    if version > 0 and encoding is not Encoding.BECH32M:
        raise Bech32Error(f"is version {version} but uses the Bech32 checksum (v1+ must use Bech32m)")
    return version, program


def encode_segwit(hrp: str, version: int, program: bytes, *, verify: bool = True) -> str:
    """The address; `verify` decodes it again (callers that checked version and length may skip it)."""
    encoding = Encoding.BECH32 if version == 0 else Encoding.BECH32M
    address = bech32_encode(hrp, [version] + convert_bits(program, 8, 5, True), encoding)
    if verify:
        decode_segwit(hrp, address)
    return address
