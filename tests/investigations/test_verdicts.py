"""Every Bitcoin verdict code, decided through the service from Esplora answers and the ledger."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from app.settings import Settings
from app.wiring import build_investigator
from chains.assets import format_amount
from investigations.catalogs import translations
from investigations.service import InvalidInput, InvestigationRequest
from investigations.types import utcnow
from tests.support.ledger import add_addresses, add_deposit, address

OURS_P1 = address("casino-p-1")
OURS_P2 = address("casino-p-2")
OURS_P3 = address("casino-p-3", "p2tr")
STRANGER = address("stranger")
PLAYER_WALLET = address("player-wallet")
TIP = 850_010


@pytest.fixture(autouse=True)
def casino(session):
    add_addresses(session, (OURS_P1, "p-1"), (OURS_P2, "p-2"), (OURS_P3, "p-3"))


def run(investigator, session, tx_hash, **ticket):
    record = investigator.investigate(session, InvestigationRequest(tx_hash=tx_hash, **ticket))
    return record


def confirmed(chain, outputs, confirmations=3, **kw):
    return chain.build_tx(outputs, height=TIP - confirmations + 1, senders=[PLAYER_WALLET], **kw)


# --- the codes ---------------------------------------------------------------------------------


def test_confirmed_deposit_booked_with_the_same_amount_is_credited(chain, investigator, session):
    tx = confirmed(chain, [(OURS_P1, 1_500_000)])
    add_deposit(session, tx["txid"], OURS_P1, "0.015", "p-1")
    record = run(investigator, session, tx["txid"], address=OURS_P1, player_ref="p-1")
    assert record.code == "credited" and record.final
    assert record.evidence["confirmations"] == "3/2"
    assert record.evidence["paid"][0]["amount"] == "0.015"
    assert record.evidence["paid"][0]["ledger_credited"] == "0.015"
    assert "0.015 BTC" in record.verdict["player_message"]["en"]
    assert record.evidence["explorer_url"] == f"https://mempool.space/tx/{tx['txid']}"


def test_confirmed_deposit_missing_from_the_ledger_is_confirmed_not_credited(chain, investigator, session):
    tx = confirmed(chain, [(OURS_P1, 1_500_000)])
    record = run(investigator, session, tx["txid"], address=OURS_P1, player_ref="p-1")
    assert record.code == "confirmed_not_credited" and record.final
    assert record.evidence["paid"][0]["ledger_credited"] is None


def test_a_ledger_row_still_pending_is_not_a_credit(chain, investigator, session):
    tx = confirmed(chain, [(OURS_P1, 1_500_000)])
    add_deposit(session, tx["txid"], OURS_P1, "0.015", "p-1", status="pending")
    assert run(investigator, session, tx["txid"]).code == "confirmed_not_credited"


def test_a_credit_of_another_amount_is_amount_mismatch(chain, investigator, session):
    tx = confirmed(chain, [(OURS_P1, 1_500_000)])
    add_deposit(session, tx["txid"], OURS_P1, "0.01", "p-1")
    record = run(investigator, session, tx["txid"], player_ref="p-1")
    assert record.code == "amount_mismatch" and record.final
    assert "chain 0.015 BTC, ledger 0.01 BTC" in record.verdict["summary"]


def test_mempool_tx_is_pending_with_an_eta(chain, investigator, session):
    tx = chain.build_tx([(OURS_P1, 1_500_000)], senders=[PLAYER_WALLET])
    record = run(investigator, session, tx["txid"], address=OURS_P1)
    assert record.code == "pending" and not record.final
    assert record.next_check_at is not None
    messages = record.verdict["player_message"]
    assert "0 подтверждений" in messages["ru"] and "после 2 подтверждений" in messages["ru"]
    assert "20 минут" in messages["ru"]
    assert "nach 2 Bestätigungen" in messages["de"] and "in about 20 minutes" in messages["en"]


def test_one_of_two_confirmations_is_confirming(chain, investigator, session):
    tx = confirmed(chain, [(OURS_P1, 1_500_000)], confirmations=1)
    record = run(investigator, session, tx["txid"], address=OURS_P1)
    assert record.code == "confirming" and not record.final
    assert record.evidence["confirmations"] == "1/2"
    assert "получено 1 подтверждение из 2" in record.verdict["player_message"]["ru"]
    assert "1 of 2 confirmations" in record.verdict["player_message"]["en"]


@pytest.mark.parametrize(
    ("confirmations", "required", "russian"),
    [
        (2, 6, "получено 2 подтверждения из 6"),
        (5, 6, "получено 5 подтверждений из 6"),
        (21, 30, "получено 21 подтверждение из 30"),
        (11, 30, "получено 11 подтверждений из 30"),
    ],
)
def test_russian_reply_uses_the_right_plural_form(chain, session, settings, confirmations, required, russian):
    investigator = build_investigator(settings.model_copy(update={"btc_confirmations": required}))
    tx = confirmed(chain, [(OURS_P1, 1_500_000)], confirmations=confirmations)
    record = run(investigator, session, tx["txid"])
    assert record.code == "confirming"
    assert russian in record.verdict["player_message"]["ru"]


def test_tx_paying_no_casino_address_is_not_our_address(chain, investigator, session):
    tx = confirmed(chain, [(STRANGER, 1_500_000)])
    record = run(investigator, session, tx["txid"], address=STRANGER)
    assert record.code == "not_our_address" and record.final
    assert record.evidence["ticket_address"]["role"] == "recipient"


def test_not_our_address_in_the_mempool_is_not_final_yet(chain, investigator, session):
    tx = chain.build_tx([(STRANGER, 1_500_000)])
    record = run(investigator, session, tx["txid"])
    assert record.code == "not_our_address" and not record.final


def test_paying_another_players_address_is_other_player_address(chain, investigator, session):
    tx = confirmed(chain, [(OURS_P2, 1_500_000)])
    record = run(investigator, session, tx["txid"], player_ref="p-1")
    assert record.code == "other_player_address" and record.final
    assert "p-2" in record.verdict["summary"]
    assert "p-2" not in json.dumps(record.verdict["player_message"], ensure_ascii=False)


def test_an_address_that_is_nowhere_in_the_tx_is_address_mismatch(chain, investigator, session):
    tx = confirmed(chain, [(OURS_P1, 1_500_000)])
    record = run(investigator, session, tx["txid"], address=STRANGER, player_ref="p-1")
    assert record.code == "address_mismatch" and record.final
    assert record.evidence["ticket_address"]["role"] == "absent"


def test_the_players_own_sending_address_identifies_the_deposit(chain, investigator, session):
    tx = confirmed(chain, [(OURS_P1, 1_500_000)])
    add_deposit(session, tx["txid"], OURS_P1, "0.015", "p-1")
    record = run(investigator, session, tx["txid"], address=PLAYER_WALLET)
    assert record.code == "credited"
    assert record.evidence["ticket_address"]["role"] == "sender"


def test_quoting_another_deposit_address_of_the_same_player_still_finds_the_deposit(chain, investigator, session):
    older = address("casino-p-1-older")
    add_addresses(session, (older, "p-1"))
    tx = confirmed(chain, [(OURS_P1, 1_500_000), (OURS_P3, 2_000_000)])
    add_deposit(session, tx["txid"], OURS_P1, "0.015", "p-1")
    record = run(investigator, session, tx["txid"], address=older)
    assert record.evidence["ticket_address"]["role"] == "same_player_other_address"
    assert record.code == "credited"  # p-3's output in the same tx is not this ticket's business


def test_quoting_a_casino_address_judges_that_addresss_player(chain, investigator, session):
    tx = confirmed(chain, [(OURS_P1, 1_500_000), (OURS_P3, 2_000_000)])
    add_deposit(session, tx["txid"], OURS_P3, "0.02", "p-3")
    assert run(investigator, session, tx["txid"], address=OURS_P3).code == "credited"
    assert run(investigator, session, tx["txid"], address=OURS_P1).code == "confirmed_not_credited"


def test_amount_under_the_minimum_is_below_minimum(chain, investigator, session):
    tx = confirmed(chain, [(OURS_P1, 5_000)])
    record = run(investigator, session, tx["txid"], player_ref="p-1")
    assert record.code == "below_minimum" and record.final
    assert "0.0001 BTC" in record.verdict["player_message"]["en"]
    assert "0.00005 BTC" in record.verdict["player_message"]["en"]


def test_a_below_minimum_deposit_the_ledger_credited_anyway_is_credited(chain, investigator, session):
    tx = confirmed(chain, [(OURS_P1, 5_000)])
    add_deposit(session, tx["txid"], OURS_P1, "0.00005", "p-1")
    assert run(investigator, session, tx["txid"], player_ref="p-1").code == "credited"


def test_a_tx_booked_for_another_player_is_already_claimed(chain, investigator, session):
    tx = confirmed(chain, [(OURS_P1, 1_500_000)])
    add_deposit(session, tx["txid"], OURS_P2, "0.015", "p-2")
    record = run(investigator, session, tx["txid"], player_ref="p-1")
    assert record.code == "already_claimed" and record.final
    assert record.evidence["conflicting_claims"][0]["player_ref"] == "p-2"


def test_an_unknown_hash_asked_of_both_providers_is_not_found(chain, investigator, session):
    record = run(investigator, session, "ee" * 32)
    assert record.code == "not_found" and not record.final
    # Bare 64 hex is tried as a Bitcoin txid first, then as an Ethereum hash.
    assert [(a["provider"], a["answer"]) for a in record.evidence["providers"]] == [
        ("esplora-one.test", "not_found"),
        ("esplora-two.test", "not_found"),
        ("eth-one.test", "not_found"),
        ("eth-two.test", "not_found"),
    ]


def test_not_found_from_one_provider_while_the_other_fails_is_provider_unavailable(chain, investigator, session):
    chain.fail("esplora-two.test", 503, "Service Unavailable")
    record = run(investigator, session, "ee" * 32)
    assert record.code == "provider_unavailable" and not record.final
    assert [a["answer"] for a in record.evidence["providers"]][:2] == ["not_found", "error"]


def test_every_provider_failing_is_provider_unavailable(chain, investigator, session):
    chain.fail("esplora-one.test", 429)
    chain.fail("esplora-two.test", 0)
    tx = confirmed(chain, [(OURS_P1, 1_500_000)])
    record = run(investigator, session, tx["txid"])
    assert record.code == "provider_unavailable"
    assert record.next_check_at is not None
    assert "check your deposit again" in record.verdict["player_message"]["en"]


def test_a_failing_first_provider_fails_over_to_the_second(chain, investigator, session):
    chain.fail("esplora-one.test", 500)
    tx = confirmed(chain, [(OURS_P1, 1_500_000)])
    add_deposit(session, tx["txid"], OURS_P1, "0.015", "p-1")
    record = run(investigator, session, tx["txid"])
    assert record.code == "credited"
    assert [a["answer"] for a in record.evidence["providers"]] == ["error", "confirmed"]


def test_a_provider_that_does_not_know_a_recent_block_makes_the_verdict_conservative(chain, investigator, session):
    tx = confirmed(chain, [(OURS_P1, 1_500_000)])
    chain.fail("esplora-one.test", 404, "Transaction not found")
    record = run(investigator, session, tx["txid"])
    assert record.code == "confirming" and not record.final  # never confirmed_not_credited on a disputed word
    assert record.evidence["disputed"] is True
    assert [(a["provider"], a["answer"]) for a in record.evidence["providers"]] == [
        ("esplora-one.test", "not_found"),
        ("esplora-two.test", "confirmed"),
    ]
    del chain.failures["esplora-one.test"]
    assert run(investigator, session, tx["txid"]).code == "confirmed_not_credited"


def test_a_provider_that_lost_a_deep_tx_is_only_behind(chain, investigator, session):
    tx = confirmed(chain, [(OURS_P1, 1_500_000)], confirmations=10)
    chain.fail("esplora-one.test", 404, "Transaction not found")
    record = run(investigator, session, tx["txid"])
    assert record.code == "confirmed_not_credited" and record.final


def test_a_seen_tx_whose_input_another_tx_spent_is_replaced(chain, investigator, session):
    original = chain.build_tx([(OURS_P1, 1_500_000)], rbf=True, senders=[PLAYER_WALLET])
    assert run(investigator, session, original["txid"]).code == "pending"
    chain.forget(original["txid"])
    replacement = chain.build_tx(
        [(PLAYER_WALLET, 1_499_000)], inputs=[(original["vin"][0]["txid"], 0)], senders=[PLAYER_WALLET], height=TIP
    )
    record = run(investigator, session, original["txid"])
    assert record.code == "replaced" and record.final
    assert record.evidence["replaced_by"] == replacement["txid"]
    assert record.evidence["previously_seen"]["status"] == "mempool"


def test_recorded_rbf_pair_from_mainnet_is_replaced(chain, investigator, session, fixtures_dir):
    pair = json.loads((fixtures_dir / "btc_esplora_rbf_pair_242f_b6a5.json").read_text())
    first, second = (case["response"]["body"] for case in pair["cases"])
    chain.publish(first)
    assert run(investigator, session, first["txid"]).code == "not_our_address"
    chain.forget(first["txid"])
    chain.publish(second)
    record = run(investigator, session, first["txid"])
    assert record.code == "replaced"
    assert record.evidence["replaced_by"] == second["txid"]


def test_a_tx_not_seen_before_and_now_unknown_stays_not_found(chain, investigator, session):
    """Without an earlier sighting we do not know its inputs: never guess 'replaced'."""
    tx = chain.build_tx([(OURS_P1, 1_500_000)])
    chain.forget(tx["txid"])
    assert run(investigator, session, tx["txid"]).code == "not_found"


def test_recorded_mainnet_tx_paying_a_casino_taproot_address(chain, session, settings, fixtures_dir):
    recorded = chain.load_fixture(fixtures_dir / "btc_esplora_tx_b10c_all_script_types.json")
    body = recorded["response"]["body"]
    taproot = next(o for o in body["vout"] if o.get("scriptpubkey_type") == "v1_p2tr")
    add_addresses(session, (taproot["scriptpubkey_address"], "p-9"))
    chain.tip_height = 850_100
    # The recorded outputs are dust: under the default minimum ...
    record = run(build_investigator(settings), session, body["txid"], player_ref="p-9")
    assert record.code == "below_minimum"
    assert record.evidence["paid"][0]["amount"] == format_amount(taproot["value"], 8)
    # ... and the confirmed deposit to fix once the minimum allows it.
    lenient = build_investigator(settings.model_copy(update={"min_deposits": {"BTC": 1}}))
    record = run(lenient, session, body["txid"], player_ref="p-9")
    assert record.code == "confirmed_not_credited"
    assert record.evidence["tx"]["block_height"] == 850000
    assert record.evidence["confirmations"] == "101/2"


def test_several_of_our_outputs_are_each_reported(chain, investigator, session):
    tx = confirmed(chain, [(OURS_P1, 1_000_000), (STRANGER, 7), (OURS_P3, 2_000_000), (OURS_P1, 500_000)])
    add_deposit(session, tx["txid"], OURS_P1, "0.015", "p-1")
    record = run(investigator, session, tx["txid"], player_ref="p-1")
    assert record.code == "credited"
    assert record.evidence["paid"] == [
        {
            "address": OURS_P1,
            "player_ref": "p-1",
            "asset": "BTC",
            "accepted": True,
            "amount": "0.015",
            "outputs": [0, 3],
            "ledger_credited": "0.015",
            "below_minimum": False,
        }
    ]
    ours = [o for o in record.evidence["outputs"] if o["ours"]]
    assert [(o["index"], o["player_ref"]) for o in ours] == [(0, "p-1"), (2, "p-3"), (3, "p-1")]
    # Without a player on the ticket, every casino output counts: p-3's is not credited.
    assert run(investigator, session, tx["txid"]).code == "confirmed_not_credited"


def test_malformed_and_foreign_network_input_is_invalid_input(chain, investigator, session, settings):
    with pytest.raises(InvalidInput) as error:
        run(investigator, session, "not-a-hash")
    assert error.value.field == "tx_hash"
    assert error.value.verdict.code == "invalid_input"
    assert set(error.value.verdict.player_message) == {"ru", "de", "en"}
    with pytest.raises(InvalidInput, match="testnet") as error:
        run(investigator, session, "ab" * 32, address="tb1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3q0sl5k7")
    assert error.value.field == "address"
    btc_only = build_investigator(settings.model_copy(update={"eth_providers": []}))
    with pytest.raises(InvalidInput, match="no providers are configured for ETH"):
        run(btc_only, session, "0x" + "ab" * 32)
    assert chain.requests == []


# --- precedence --------------------------------------------------------------------------------


def test_precedence_address_mismatch_before_not_our_address(chain, investigator, session):
    tx = confirmed(chain, [(STRANGER, 1_500_000)])
    assert run(investigator, session, tx["txid"], address=OURS_P1).code == "address_mismatch"


def test_precedence_other_player_before_already_claimed_and_below_minimum(chain, investigator, session):
    tx = confirmed(chain, [(OURS_P2, 5_000)])
    add_deposit(session, tx["txid"], OURS_P2, "0.00005", "p-2")
    assert run(investigator, session, tx["txid"], player_ref="p-1").code == "other_player_address"


def test_precedence_already_claimed_before_below_minimum_and_amount_mismatch(chain, investigator, session):
    tx = confirmed(chain, [(OURS_P1, 5_000)])
    add_deposit(session, tx["txid"], OURS_P1, "0.001", "p-2")
    assert run(investigator, session, tx["txid"], player_ref="p-1").code == "already_claimed"


def test_precedence_below_minimum_before_pending(chain, investigator, session):
    tx = chain.build_tx([(OURS_P1, 5_000)])
    record = run(investigator, session, tx["txid"])
    assert record.code == "below_minimum" and not record.final


def test_precedence_amount_mismatch_before_confirmed_not_credited_across_addresses(chain, investigator, session):
    tx = confirmed(chain, [(OURS_P1, 1_000_000), (OURS_P3, 2_000_000)])
    add_deposit(session, tx["txid"], OURS_P1, "0.009", "p-1")
    assert run(investigator, session, tx["txid"]).code == "amount_mismatch"


def test_precedence_replaced_before_not_found(chain, investigator, session):
    original = chain.build_tx([(OURS_P1, 1_500_000)])
    run(investigator, session, original["txid"])
    chain.forget(original["txid"])
    chain.build_tx([(STRANGER, 1)], inputs=[(original["vin"][0]["txid"], 0)])
    assert run(investigator, session, original["txid"]).code == "replaced"


@pytest.mark.parametrize(
    ("n", "form"),
    [
        (0, "many"),
        (1, "one"),
        (2, "few"),
        (4, "few"),
        (5, "many"),
        (11, "many"),
        (12, "many"),
        (14, "many"),
        (21, "one"),
        (22, "few"),
        (111, "many"),
        (101, "one"),
    ],
)
def test_russian_plural_rules(n, form):
    # The rule is the catalog's (CLDR's, from Babel); the forms are the Russian catalog's words.
    words = {"one": "подтверждение", "few": "подтверждения", "many": "подтверждений"}
    assert translations("ru").npgettext("confirmations so far", "confirmation", "confirmations", n) == words[form]


def test_settings_fixture_is_isolated_from_the_environment(settings: Settings):
    assert settings.btc_confirmations == 2


def test_a_batch_paying_several_players_without_a_player_on_the_ticket_is_not_judged_together(
    chain, investigator, session
):
    tx = confirmed(chain, [(OURS_P1, 3_000_000), (OURS_P2, 3_000_000)])
    add_deposit(session, tx["txid"], OURS_P1, "0.03", "p-1")
    record = run(investigator, session, tx["txid"])
    assert not record.final and record.evidence["ambiguous_players"] == ["p-1", "p-2"]
    assert "do not act on the combined figures" in record.verdict["action"]
    assert "0.06" not in record.verdict["player_message"]["en"]
    add_deposit(session, tx["txid"], OURS_P2, "0.03", "p-2")
    both = run(investigator, session, tx["txid"])
    assert both.code == "credited"  # each row books its own address's owner: no claim by another
    assert run(investigator, session, tx["txid"], player_ref="p-2").code == "credited"


def test_a_ledger_row_still_pending_is_not_final_and_says_so(chain, investigator, session):
    tx = confirmed(chain, [(OURS_P1, 1_500_000)])
    add_deposit(session, tx["txid"], OURS_P1, "0.015", "p-1", status="pending")
    record = run(investigator, session, tx["txid"])
    assert record.code == "confirmed_not_credited" and not record.final
    assert "exactly once" in record.verdict["action"]


def test_a_rejected_ledger_row_is_escalated_not_credited_blindly(chain, investigator, session):
    tx = confirmed(chain, [(OURS_P1, 1_500_000)])
    add_deposit(session, tx["txid"], OURS_P1, "0.015", "p-1", status="rejected")
    record = run(investigator, session, tx["txid"])
    assert record.code == "confirmed_not_credited" and "escalate to finance" in record.verdict["action"]


def test_a_policy_stricter_than_the_cache_depth_still_settles(chain, session, settings):
    strict = build_investigator(settings.model_copy(update={"btc_confirmations": 10}))
    tx = confirmed(chain, [(OURS_P1, 1_500_000)], confirmations=7)
    assert run(strict, session, tx["txid"]).code == "confirming"  # 7 of 10: not cached as settled
    chain.tip_height += 43
    assert run(strict, session, tx["txid"]).code == "confirmed_not_credited"


def test_no_dropped_verdict_when_the_inputs_could_not_be_checked(chain, investigator, session):
    original = chain.build_tx([(OURS_P1, 1_500_000)], senders=[PLAYER_WALLET])
    assert run(investigator, session, original["txid"]).code == "pending"
    chain.forget(original["txid"])

    def no_outspends(request):
        return (503, {}, "busy") if "/outspend/" in request.url else None

    chain.fault("esplora-one.test", no_outspends)
    chain.fault("esplora-two.test", no_outspends)
    investigator.clock = lambda: utcnow() + timedelta(minutes=30)
    record = run(investigator, session, original["txid"])
    assert record.code == "not_found" and not record.final
