"""What is picked out of pasted text: only transaction path segments are transactions, upper-case
Bech32 (BIP-173/350 vectors) is an address, a token tracker's holder is the address, and a test
network link is reported instead of investigated."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chains.base import Chain
from chains.bitcoin.bech32 import encode_segwit
from investigations.extract import extract
from tests.chains.test_bech32 import INVALID_ADDRESSES, VALID_ADDRESSES

TX = "3a1f" + "0" * 56 + "beef"
BLOCK = "00000000000000000001c8018a5a3e7e4e2b7bd0f5ba8d2b5a4e0f3c1b2a3d4e"
CONTRACT = "0xdac17f958d2ee523a2206206994597c13d831ec7"
HOLDER = "0x52908400098527886e0f7030069857d2e4169ee7"


@pytest.mark.parametrize(
    "link",
    [
        f"https://blockchair.com/bitcoin/block/{BLOCK}",
        f"https://mempool.space/block/{BLOCK}",
        f"blockstream.info/block/{BLOCK}",
        f"https://etherscan.io/block/0x{BLOCK}",
    ],
)
def test_a_block_hash_in_a_block_link_is_not_a_transaction(link):
    found = extract(f"see {link} and my tx {TX}")
    assert found.tx_hashes == [TX]


@pytest.mark.parametrize(
    "link",
    [
        f"https://mempool.space/tx/{TX}",
        f"https://blockstream.info/tx/{TX}?expand",
        f"https://blockchair.com/bitcoin/transaction/{TX}",
        f"https://www.blockchain.com/explorer/transactions/btc/{TX}",
        f"mempool.space/tx/{TX}#vout=1",
        f"https://etherscan.io/tx/0x{TX}",
        f"(https://mempool.space/tx/{TX}).",
        f"https://mempool.space/tx/{TX}, and",
    ],
)
def test_transaction_links_are_transactions(link):
    found = extract(f"hi, here: {link} thanks")
    assert [h.removeprefix("0x") for h in found.tx_hashes] == [TX]


@pytest.mark.parametrize(("vector", "_script"), [v for v in VALID_ADDRESSES if v[0].lower().startswith("bc1")])
def test_bip_173_and_350_mainnet_vectors_are_extracted_in_any_case(vector, _script):
    for form in (vector, vector.upper(), vector.lower()):
        found = extract(f"my wallet {form}, please check")
        assert found.addresses == [(Chain.BTC, vector.lower())]


@pytest.mark.parametrize("vector", INVALID_ADDRESSES)
def test_bip_350_invalid_vectors_are_not_extracted(vector):
    assert extract(f"my wallet {vector}").addresses == []


@settings(max_examples=200, deadline=None)
@given(st.sampled_from([(0, 20), (0, 32), (1, 32), (2, 2), (16, 40)]), st.data())
def test_upper_case_segwit_addresses_are_extracted(shape, data):
    version, size = shape
    program = data.draw(st.binary(min_size=size, max_size=size))
    address = encode_segwit("bc", version, program)
    assert extract(f"sent to {address.upper()}.").addresses == [(Chain.BTC, address)]
    mixed = address[:6] + address[6:].upper()
    if mixed != address and mixed != address.upper():
        assert extract(f"sent to {mixed}").addresses == []  # BIP-173: mixed case is invalid


def test_an_etherscan_token_tracker_link_names_the_holder_not_the_contract():
    found = extract(f"https://etherscan.io/token/{CONTRACT}?a={HOLDER} tx 0x{TX}")
    assert found.addresses == [(Chain.ETH, HOLDER)]
    assert extract(f"https://etherscan.io/address/{HOLDER}").addresses == [(Chain.ETH, HOLDER)]


@pytest.mark.parametrize(
    ("link", "network"),
    [
        (f"https://mempool.space/testnet/tx/{TX}", "testnet"),
        (f"https://mempool.space/testnet4/tx/{TX}", "testnet4"),
        (f"https://mempool.space/signet/tx/{TX}", "signet"),
        (f"https://blockstream.info/testnet/tx/{TX}", "testnet"),
        (f"https://sepolia.etherscan.io/tx/0x{TX}", "Sepolia"),
        (f"https://blockchair.com/bitcoin/testnet/transaction/{TX}", "testnet"),
        (f"https://testnet.bscscan.com/tx/0x{TX}", "testnet"),
        (f"https://amoy.polygonscan.com/tx/0x{TX}", "Amoy"),
        (f"https://sepolia.basescan.org/tx/0x{TX}", "Sepolia"),
    ],
)
def test_test_network_links_are_reported_not_investigated(link, network):
    found = extract(f"I paid, look: {link}")
    assert found.tx_hashes == [] and found.test_networks and network in found.test_networks[0]
    assert "test network" in found.test_network_reason


@pytest.mark.parametrize(
    "host", ["bscscan.com", "polygonscan.com", "arbiscan.io", "basescan.org", "optimistic.etherscan.io"]
)
def test_links_of_every_evm_explorer_give_the_hash_and_the_token_holder(host):
    holder = "0x" + "ab" * 20
    found = extract(f"sent it https://{host}/tx/0x{TX} see https://{host}/token/0x{'cd' * 20}?a={holder}")
    assert found.tx_hashes == [f"0x{TX}"]
    assert found.address == holder


@pytest.mark.parametrize(
    "text",
    ["вывод не пришёл", "Выплата так и не пришла", "Auszahlung nicht angekommen", "meine Abhebung fehlt",
     "withdrawal not received", "where is my payout?", "I withdrew 0.1 BTC yesterday"],
)  # fmt: skip
def test_withdrawal_wording_in_three_languages_is_recognised(text):
    assert extract(text).withdrawal


@pytest.mark.parametrize("text", ["my deposit did not arrive", "депозит не зачислен", "Einzahlung fehlt", ""])
def test_deposit_wording_is_not_a_withdrawal(text):
    assert not extract(text).withdrawal


def test_payout_ids_are_picked_out():
    found = extract("withdrawal W-77 and w-78, not w-x")
    assert found.payout_ids == ["w-77", "w-78"]


# --- TRON (issue 24) ------------------------------------------------------------------------------
TRON_TX = "47086db397eac45d2fe7dacedcb6f77267d6895dce645210e495e64f8a2a7910"
TRON_PAYEE = "TAVrrARNdnjHgCGMQYeQV7hv4PSu7mVsMj"
USDT_TRC20 = "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"


def test_a_tronscan_transaction_link_is_a_transaction():
    found = extract(f"see https://tronscan.org/#/transaction/{TRON_TX} please")
    assert found.tx_hashes == [TRON_TX] and found.addresses == []


def test_a_tronscan_address_link_is_a_tron_address():
    found = extract(f"https://tronscan.org/#/address/{TRON_PAYEE}/transfers")
    assert found.addresses == [(Chain.TRON, TRON_PAYEE)]


def test_a_tronscan_token_transfer_link_names_the_holder_not_the_contract():
    found = extract(f"https://tronscan.org/#/token20/{USDT_TRC20}?a={TRON_PAYEE}")
    assert found.addresses == [(Chain.TRON, TRON_PAYEE)]


def test_a_tron_txid_and_address_in_a_message():
    found = extract(f"sent 50 usdt trc20, txid {TRON_TX} to {TRON_PAYEE}, not arrived")
    assert found.tx_hashes == [TRON_TX]
    assert found.addresses == [(Chain.TRON, TRON_PAYEE)]


def test_a_tron_address_with_a_bad_checksum_is_not_extracted():
    assert extract("to TAVrrARNdnjHgCGMQYeQV7hv4PSu7mVsMk").addresses == []
