"""TRON verdicts through the service: TRX and USDT (TRC-20) deposits on java-tron answers served by
`responses`, recognition of a bare hash, and the TRON pool beside Bitcoin's and Ethereum's."""

from __future__ import annotations

import pytest

from app.wiring import build_investigator
from investigations.service import InvestigationRequest
from tests.support.ledger import add_addresses_on, add_deposit_on
from tests.support.tron import (
    TRX_BLOCK,
    TRX_PAYEE,
    TRX_SENDER,
    TRX_TXID,
    TronWorld,
    transfer_log,
    trc10_tx,
    trc20_info,
    trc20_tx,
    trx_transfer_info,
    trx_transfer_tx,
)

TRON_PROVIDERS = ["trongrid:https://tron-one.test", "fullnode:https://tron-two.test"]
PAYEE_2 = "TNPeeaaFB7K9cmo4uQpcU32zGK8G1NYqeL"
USDT_TX = "ab" * 32


@pytest.fixture
def tron(http_mock, chain):
    world = TronWorld()
    for spec in TRON_PROVIDERS:
        world.serve(http_mock, spec.partition(":")[2])
    return world


@pytest.fixture
def tron_investigator(settings):
    configured = settings.model_copy(
        update={
            "tron_providers": TRON_PROVIDERS,
            "tron_api_key": "tron-key-not-to-be-shown",
            "min_deposits": {**settings.min_deposits, "USDT@tron": 5_000_000, "TRX": 1},
        }
    )
    return build_investigator(configured)


def run(investigator, session, tx_hash, **ticket):
    return investigator.investigate(session, InvestigationRequest(tx_hash=tx_hash, **ticket))


def usdt(world, logs, *, block=TRX_BLOCK, result="SUCCESS"):
    return world.add(
        trc20_tx(USDT_TX, TRX_SENDER, TRX_PAYEE, 7_000_000), trc20_info(USDT_TX, block, logs, result=result)
    )


def test_a_solidified_trx_deposit_is_confirmed_then_credited(tron, tron_investigator, session):
    tron.add(trx_transfer_tx(), trx_transfer_info())
    add_addresses_on(session, "tron", (TRX_PAYEE, "p-1"))
    record = run(tron_investigator, session, TRX_TXID, address=TRX_PAYEE)
    assert record.chain == "tron"
    assert record.code == "confirmed_not_credited"
    assert record.evidence["paid"][0]["amount"] == "0.000005" and record.evidence["paid"][0]["asset"] == "TRX"
    assert record.evidence["explorer_url"] == f"https://tronscan.org/#/transaction/{TRX_TXID}"
    assert record.evidence["tx"]["bandwidth_used"] == 265 and record.evidence["tx"]["fee_burnt"] == "0 TRX"
    add_deposit_on(session, "tron", TRX_TXID, TRX_PAYEE, "TRX", "0.000005", "p-1")
    assert run(tron_investigator, session, TRX_TXID, address=TRX_PAYEE).code == "credited"


def test_two_usdt_transfers_in_one_tx_each_count(tron, tron_investigator, session):
    usdt(tron, [transfer_log(TRX_SENDER, TRX_PAYEE, 4_000_000), transfer_log(TRX_SENDER, TRX_PAYEE, 3_000_000)])
    add_addresses_on(session, "tron", (TRX_PAYEE, "p-1"))
    record = run(tron_investigator, session, USDT_TX, address=TRX_PAYEE)
    assert record.code == "confirmed_not_credited"
    assert record.evidence["paid"][0]["amount"] == "7" and record.evidence["paid"][0]["outputs"] == [0, 1]
    assert record.evidence["tx"]["energy_used"] == 64_285 and record.evidence["tx"]["fee_burnt"] == "13.84485 TRX"
    add_deposit_on(session, "tron", USDT_TX, TRX_PAYEE, "USDT", "4", "p-1", index=0)
    assert run(tron_investigator, session, USDT_TX, address=TRX_PAYEE).code == "amount_mismatch"  # 3 USDT not booked


def test_not_solidified_is_confirming_with_an_eta_in_tron_blocks(tron, tron_investigator, session):
    tron.head, tron.solid = TRX_BLOCK + 4, TRX_BLOCK - 15
    usdt(tron, [transfer_log(TRX_SENDER, TRX_PAYEE, 7_000_000)])
    add_addresses_on(session, "tron", (TRX_PAYEE, "p-1"))
    record = run(tron_investigator, session, USDT_TX, address=TRX_PAYEE)
    assert record.code == "confirming" and not record.final
    assert "not yet solidified" in record.verdict["summary"]
    assert record.evidence["confirmations"] == "5/19"
    assert "1 minute" in record.verdict["player_message"]["en"]  # 14 blocks of 3 s


@pytest.mark.parametrize(("result", "words"), [("OUT_OF_ENERGY", "enough energy"), ("REVERT", "refused")])
def test_a_failed_receipt_is_failed_with_the_reason_in_plain_words(tron, tron_investigator, session, result, words):
    usdt(tron, [], result=result)
    add_addresses_on(session, "tron", (TRX_PAYEE, "p-1"))
    record = run(tron_investigator, session, USDT_TX, address=TRX_PAYEE)
    assert record.code == "failed" and record.final
    assert words in record.verdict["summary"] and "the fee was burnt" in record.verdict["summary"]
    assert words in record.evidence["tx"]["failure"]
    energy = "did not have enough energy" in record.verdict["player_message"]["en"]
    assert energy is (result == "OUT_OF_ENERGY")
    assert all(record.verdict["player_message"][lang] for lang in ("en", "de", "ru"))


def test_a_trc10_token_is_an_unsupported_asset(tron, tron_investigator, session):
    tron.add(trc10_tx(USDT_TX, TRX_SENDER, TRX_PAYEE, 1_000), {"id": USDT_TX, "blockNumber": TRX_BLOCK, "receipt": {}})
    add_addresses_on(session, "tron", (TRX_PAYEE, "p-1"))
    record = run(tron_investigator, session, USDT_TX, address=TRX_PAYEE)
    assert record.code == "unsupported_asset"
    assert "trc10:1002000" in record.verdict["summary"]


def test_usdt_under_the_tron_minimum_is_below_minimum(tron, tron_investigator, session):
    usdt(tron, [transfer_log(TRX_SENDER, TRX_PAYEE, 4_000_000)])
    add_addresses_on(session, "tron", (TRX_PAYEE, "p-1"))
    record = run(tron_investigator, session, USDT_TX, address=TRX_PAYEE)
    assert record.code == "below_minimum"
    assert "5" in record.verdict["player_message"]["en"]


def test_a_bare_hash_that_is_tron_is_found_on_tron_with_bitcoin_asked_at_once(chain, tron, tron_investigator, session):
    tron.add(trx_transfer_tx(), trx_transfer_info())
    add_addresses_on(session, "tron", (TRX_PAYEE, "p-1"))
    record = run(tron_investigator, session, TRX_TXID)
    assert record.chain == "tron" and record.code == "confirmed_not_credited"
    asked = {a["provider"] for a in record.evidence["providers"]}
    assert {"esplora-one.test", "esplora-two.test", "tron-one.test", "tron-two.test"} <= asked


def test_a_bare_hash_unknown_everywhere_is_not_found_on_every_chain_asked(chain, tron, tron_investigator, session):
    record = run(tron_investigator, session, "cd" * 32)
    assert record.code == "not_found"
    answers = {a["provider"]: a["answer"] for a in record.evidence["providers"]}
    assert answers["tron-one.test"] == "not_found" and answers["esplora-one.test"] == "not_found"


def test_a_tron_address_on_the_ticket_asks_only_tron(chain, tron, tron_investigator, session):
    tron.add(trx_transfer_tx(), trx_transfer_info())
    add_addresses_on(session, "tron", (TRX_PAYEE, "p-1"))
    record = run(tron_investigator, session, TRX_TXID, address=PAYEE_2)
    assert record.code == "address_mismatch"
    assert {a["provider"] for a in record.evidence["providers"]} == {"tron-one.test", "tron-two.test"}
    assert chain.requests == {} or not any("esplora" in k for k in chain.requests)


def test_the_api_key_never_reaches_the_record(tron, tron_investigator, session):
    tron.faults["/wallet/gettransactionbyid"] = [(503, "down"), (503, "down"), (503, "down"), (503, "down")]
    record = run(tron_investigator, session, TRX_TXID, address=TRX_PAYEE)
    assert "tron-key-not-to-be-shown" not in str(record.verdict) + str(record.evidence)
    assert set(tron.api_keys) == {"tron-key-not-to-be-shown"}


def test_without_tron_providers_a_bare_hash_is_asked_as_before(chain, tron, investigator, session):
    record = run(investigator, session, TRX_TXID)
    assert record.chain == "btc"
    assert not tron.requests


# --- wrong network across families: the same 20 bytes on TRON and on an EVM network --------------
EVM_FORM = "0x05cc125604448afeb6867eb688efb7e80411d57a"  # TRX_PAYEE's 20 bytes


def test_usdt_on_tron_to_the_t_form_of_an_ethereum_address_is_wrong_network(tron, tron_investigator, session):
    usdt(tron, [transfer_log(TRX_SENDER, TRX_PAYEE, 7_000_000)])
    add_addresses_on(session, "eth", (EVM_FORM, "p-9"))
    record = run(tron_investigator, session, USDT_TX, address=EVM_FORM)  # the player quotes the 0x address
    assert record.chain == "tron"
    assert record.code == "wrong_network" and record.final
    summary = record.verdict["summary"]
    assert "Sent on TRON, but the address was issued for Ethereum" in summary and "7 USDT" in summary
    assert TRX_PAYEE in summary and EVM_FORM in summary
    assert "same key controls" in record.verdict["action"] and "TRX" in record.verdict["action"]
    assert record.evidence["wrong_network"]["paid"][0]["player_ref"] == "p-9"
    en = record.verdict["player_message"]["en"]
    assert "sent on the TRON network" in en and "given for Ethereum" in en
    assert record.verdict["player_message"]["ru"] != en and record.verdict["player_message"]["de"] != en


def test_not_yet_solidified_wrong_network_is_not_final(tron, tron_investigator, session):
    tron.head, tron.solid = TRX_BLOCK + 4, TRX_BLOCK - 15
    usdt(tron, [transfer_log(TRX_SENDER, TRX_PAYEE, 7_000_000)])
    add_addresses_on(session, "eth", (EVM_FORM, "p-9"))
    record = run(tron_investigator, session, USDT_TX, address=EVM_FORM)
    assert record.code == "wrong_network" and not record.final


def test_eth_sent_to_the_0x_form_of_a_tron_deposit_address_is_wrong_network(evm, tron, tron_investigator, session):
    eth_hash = "0x" + "12" * 32
    block = hex(evm.head - 40)
    evm.add(
        {
            "hash": eth_hash,
            "blockHash": "0x" + "34" * 32,
            "blockNumber": block,
            "transactionIndex": "0x0",
            "from": "0x" + "99" * 20,
            "to": EVM_FORM,
            "value": hex(5 * 10**16),
            "input": "0x",
            "gas": "0x5208",
            "gasPrice": "0x1",
            "nonce": "0x0",
        },
        {"blockHash": "0x" + "34" * 32, "blockNumber": block, "status": "0x1", "gasUsed": "0x5208", "logs": []},
    )
    add_addresses_on(session, "tron", (TRX_PAYEE, "p-3"))
    record = run(tron_investigator, session, eth_hash)
    assert record.chain == "eth"
    assert record.code == "wrong_network" and record.final
    assert "Sent on Ethereum, but the address was issued for TRON: 0.05 ETH" in record.verdict["summary"]
    assert TRX_PAYEE in record.verdict["summary"]
    assert "ETH (for gas)" in record.verdict["action"]
    assert not tron.requests  # a 0x hash is never asked of TRON


def test_a_tron_payment_to_a_tron_deposit_address_is_not_wrong_network(tron, tron_investigator, session):
    usdt(tron, [transfer_log(TRX_SENDER, TRX_PAYEE, 7_000_000)])
    add_addresses_on(session, "tron", (TRX_PAYEE, "p-1"))
    add_addresses_on(session, "eth", (EVM_FORM, "p-9"))  # the same bytes issued on both: TRON's own wins
    assert run(tron_investigator, session, USDT_TX).code == "confirmed_not_credited"


def test_a_settled_tron_tx_is_not_asked_again_and_a_lost_one_is_never_reorged(tron, tron_investigator, session):
    tron.add(trx_transfer_tx(), trx_transfer_info())
    add_addresses_on(session, "tron", (TRX_PAYEE, "p-1"))
    first = run(tron_investigator, session, TRX_TXID, address=TRX_PAYEE)
    assert first.code == "confirmed_not_credited"
    tron.requests.clear()
    again = run(tron_investigator, session, TRX_TXID, address=TRX_PAYEE)
    assert again.code == "confirmed_not_credited" and not tron.requests  # solidified: from the cache
    assert again.evidence["tx"]["bandwidth_used"] == 265


def test_a_confirming_tron_tx_the_providers_lose_is_not_called_reorged(tron, tron_investigator, session):
    tron.head, tron.solid = TRX_BLOCK + 4, TRX_BLOCK - 15
    usdt(tron, [transfer_log(TRX_SENDER, TRX_PAYEE, 7_000_000)])
    add_addresses_on(session, "tron", (TRX_PAYEE, "p-1"))
    record = run(tron_investigator, session, USDT_TX, address=TRX_PAYEE)
    assert record.code == "confirming"
    tron.txs.clear()
    tron.infos.clear()
    tron.solid = TRX_BLOCK + 1  # now solidified, but the providers lag and know nothing
    again = tron_investigator.recheck(session, record)
    assert again.code != "reorged"
