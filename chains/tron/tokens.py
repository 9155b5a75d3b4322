"""TRC-20 as TRON writes it: the ``Transfer`` event in a receipt's logs and ``transfer(address,uint256)``
call data, decoded by hand (the ABI of these two is three 32-byte words).

TRON logs carry the contract as 20 bytes of hex without the 0x41 prefix, topics and data without
``0x``; an ABI ``address`` word holds the 20-byte body (some wallets put the 0x41 byte into its
padding, which is tolerated).
"""

from __future__ import annotations

from dataclasses import dataclass

from chains.tron.addresses import encode

TRANSFER_TOPIC = "ddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef"
TRANSFER_SELECTOR = "a9059cbb"  # transfer(address,uint256)


@dataclass(frozen=True)
class Trc20Transfer:
    contract: str  # T…
    sender: str  # T…
    recipient: str  # T…
    amount: int


def _hex(value: object) -> str:
    text = str(value or "").lower()
    return text[2:] if text.startswith("0x") else text


def address_word(word: str) -> str:
    """The ``T…`` address of a 32-byte ABI word (64 hex characters)."""
    if len(word) != 64 or word[:22].strip("0") not in ("", "41"):
        raise ValueError("not an ABI address word")
    return encode(bytes.fromhex(word[24:]))


def contract_of(log_address: str) -> str:
    """A log's contract (20-byte hex, with or without 41) as ``T…``."""
    body = _hex(log_address)
    if len(body) == 42 and body.startswith("41"):
        body = body[2:]
    if len(body) != 40:
        raise ValueError("not a 20-byte contract address")
    return encode(bytes.fromhex(body))


def decode_transfer_log(log: dict[str, object]) -> Trc20Transfer | None:
    """A ``Transfer(from, to, value)`` log, or None for any other event (or a malformed one)."""
    topics = [_hex(t) for t in log.get("topics") or []]  # type: ignore[union-attr]
    data = _hex(log.get("data"))
    if len(topics) != 3 or topics[0] != TRANSFER_TOPIC or len(data) != 64:
        return None
    try:
        return Trc20Transfer(
            contract_of(str(log.get("address"))),
            address_word(topics[1]),
            address_word(topics[2]),
            int(data, 16),
        )
    except ValueError:
        return None


def decode_transfer_call(data: object) -> tuple[str, int] | None:
    """(recipient, amount) of ``transfer(address,uint256)`` call data, or None for another call."""
    text = _hex(data)
    if not text.startswith(TRANSFER_SELECTOR) or len(text) != 8 + 128:
        return None
    try:
        return address_word(text[8:72]), int(text[72:], 16)
    except ValueError:
        return None


def encode_transfer_call(recipient_body20: bytes, amount: int) -> str:
    """``transfer(address,uint256)`` call data (hex, no 0x): for building test cases and the bench."""
    return TRANSFER_SELECTOR + recipient_body20.hex().rjust(64, "0") + format(amount, "064x")
