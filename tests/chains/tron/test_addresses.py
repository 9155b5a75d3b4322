"""Our Base58Check codec and TRC-20 ABI decoding against published mainnet pairs and real encodings."""

from __future__ import annotations

import hashlib

import pytest

from chains.base import InvalidAddress, InvalidTxHash
from chains.tron import addresses as tron
from chains.tron.tokens import decode_transfer_call, decode_transfer_log, encode_transfer_call
from tests.support.tron import TRX_RAW_HEX, TRX_TXID, transfer_log

# Published mainnet pairs: Tether's TRC-20 contract, the all-zero address (the "black hole"),
# the java-tron HTTP API reference's example account, and the two accounts of a mainnet TRX
# transfer whose txID is the SHA-256 of its raw_data_hex (checked below).
PAIRS = [
    ("TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t", "41a614f803b6fd780986a42c78ec9c7f77e6ded13c"),
    ("T9yD14Nj9j7xAB4dbGeiX9h8unkKHxuWwb", "410000000000000000000000000000000000000000"),
    ("TNPeeaaFB7K9cmo4uQpcU32zGK8G1NYqeL", "418840e6c55b9ada326d211d818c34a994aeced808"),
    ("TQ7pF3NTDL2Tjz5rdJ6ECjQWjaWHpLZJMH", "419b3281a60ab7a44f351ef2896c653f134972ad22"),
    ("TAVrrARNdnjHgCGMQYeQV7hv4PSu7mVsMj", "4105cc125604448afeb6867eb688efb7e80411d57a"),
]


@pytest.mark.parametrize(("base58", "hex_form"), PAIRS)
def test_published_pairs_round_trip(base58, hex_form):
    assert tron.to_hex(base58) == hex_form
    assert tron.from_hex(hex_form) == base58
    assert tron.from_hex(hex_form.upper()) == base58
    assert tron.normalize_address(hex_form) == base58
    assert tron.normalize_address(f"  {base58} ") == base58


def test_the_evm_form_is_the_same_20_bytes():
    assert tron.to_evm("TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t") == "0xa614f803b6fd780986a42c78ec9c7f77e6ded13c"
    assert tron.from_evm("0xA614F803B6FD780986A42C78EC9C7F77E6DED13C") == "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"


def test_the_recorded_trx_transfer_is_a_real_transaction():
    assert hashlib.sha256(bytes.fromhex(TRX_RAW_HEX)).hexdigest() == TRX_TXID
    # Its raw bytes carry the two accounts' 21-byte hex forms.
    assert "419b3281a60ab7a44f351ef2896c653f134972ad22" in TRX_RAW_HEX
    assert "4105cc125604448afeb6867eb688efb7e80411d57a" in TRX_RAW_HEX


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6u", "checksum"),  # one character changed
        ("TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6", "expected T"),  # one short
        ("0x41a614f803b6fd780986a42c78ec9c7f77e6ded1", "expected T"),
        ("1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2", "expected T"),  # a Bitcoin address
        ("TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj0t", "expected T"),  # 0 is not Base58
    ],
)
def test_malformed_addresses_are_refused_saying_why(text, words):
    with pytest.raises(InvalidAddress, match=words):
        tron.normalize_address(text)


def test_txids_are_64_hex_lower_case():
    assert tron.normalize_txid(TRX_TXID.upper()) == TRX_TXID
    assert tron.normalize_txid("0x" + TRX_TXID) == TRX_TXID
    with pytest.raises(InvalidTxHash):
        tron.normalize_txid(TRX_TXID[:-1])


def test_transfer_call_data_decodes_recipient_and_amount():
    recipient = "TAVrrARNdnjHgCGMQYeQV7hv4PSu7mVsMj"
    data = encode_transfer_call(tron.body_of(recipient), 20_939_174)
    assert data.startswith("a9059cbb") and len(data) == 136
    assert decode_transfer_call(data) == (recipient, 20_939_174)
    # Some wallets put the 0x41 byte into the address word's padding.
    padded = data[:8] + "0000000000000000000000" + "41" + data[32:]
    assert decode_transfer_call(padded) == (recipient, 20_939_174)
    assert decode_transfer_call("095ea7b3" + data[8:]) is None  # approve(), not transfer()


def test_transfer_log_decodes_contract_sender_recipient_amount():
    log = transfer_log("TQ7pF3NTDL2Tjz5rdJ6ECjQWjaWHpLZJMH", "TAVrrARNdnjHgCGMQYeQV7hv4PSu7mVsMj", 5_000_000)
    decoded = decode_transfer_log(log)
    assert decoded is not None
    assert decoded.contract == "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"
    assert (decoded.sender, decoded.recipient, decoded.amount) == (
        "TQ7pF3NTDL2Tjz5rdJ6ECjQWjaWHpLZJMH",
        "TAVrrARNdnjHgCGMQYeQV7hv4PSu7mVsMj",
        5_000_000,
    )
    approval = {
        **log,
        "topics": ["8c5be1e5ebec7d5bd14f71427d1e84f3dd0314c0f7b2291e5b200ac8c7c3b925", *log["topics"][1:]],
    }
    assert decode_transfer_log(approval) is None


def test_which_chains_a_hash_is_asked_of():
    from chains.base import Chain
    from chains.references import EVM_CHAINS, candidate_chains

    txid = "ab" * 32
    assert candidate_chains(txid, None) == [Chain.BTC, Chain.TRON, *EVM_CHAINS]
    assert candidate_chains(txid, "TAVrrARNdnjHgCGMQYeQV7hv4PSu7mVsMj") == [Chain.TRON]
    assert candidate_chains("0x" + txid, "TAVrrARNdnjHgCGMQYeQV7hv4PSu7mVsMj") == [Chain.TRON]
    assert candidate_chains(txid, "0x05cc125604448afeb6867eb688efb7e80411d57a") == [*EVM_CHAINS, Chain.TRON]
    assert candidate_chains("0x" + txid, "0x05cc125604448afeb6867eb688efb7e80411d57a") == list(EVM_CHAINS)
