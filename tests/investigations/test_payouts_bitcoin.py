"""Bitcoin payouts judged through the service: transactions built with python-bitcoinlib at low and
normal fee rates, served with the fee estimates and mempool Esplora gives; every payout code."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from investigations.payouts import PayoutRecordIn, upsert_payouts
from investigations.service import InvalidInput, InvestigationRequest
from investigations.types import utcnow
from investigations.verdicts import PAYOUT_CASINO_ERRORS, PUBLIC_REPLY_CODES, PayoutCode
from tests.support.ledger import address

PLAYER = address("payout-player-wallet")
HOT = address("casino-hot-wallet")
ELSEWHERE = address("somebody-else")
TIP = 850_010
NOW = utcnow()


@pytest.fixture(autouse=True)
def fixed_clock(investigator):
    investigator.clock = lambda: NOW


def record(session, tx_hash=None, *, status="sent", amount="0.015", sent_minutes_ago=5, **change):
    row = {
        "payout_id": "w-77",
        "chain": "btc",
        "player_ref": "p-1842",
        "to_address": PLAYER,
        "asset": "BTC",
        "amount": amount,
        "status": status,
        "tx_hash": tx_hash,
        "requested_at": NOW - timedelta(minutes=sent_minutes_ago + 1),
        "sent_at": NOW - timedelta(minutes=sent_minutes_ago) if tx_hash else None,
        **change,
    }
    upsert_payouts(session, [PayoutRecordIn.model_validate(row)])
    session.commit()


def payout_tx(chain, *, fee=2_000, height=None, rbf=False, to=PLAYER, amount=1_500_000, inputs=None, change=40_000_000):
    """A hot-wallet payout: the player's output first, change back to the hot wallet second."""
    return chain.build_tx([(to, amount), (HOT, change)], senders=[HOT], height=height, rbf=rbf, fee=fee, inputs=inputs)


def judge(investigator, session, payout_id="w-77"):
    return investigator.investigate_payout(session, investigator.payout(session, payout_id))


def rate(body) -> Decimal:
    return Decimal(body["fee"]) / Decimal(-(-body["weight"] // 4))


# --- not sent -----------------------------------------------------------------------------------


def test_an_approved_payout_without_a_tx_after_the_grace_is_not_sent(chain, investigator, session):
    record(session, status="approved", sent_minutes_ago=45)
    verdict = judge(investigator, session)
    assert verdict.code == "payout_not_sent" and not verdict.final
    assert "finance" in verdict.verdict["action"].lower()
    assert verdict.payout_id == "w-77" and verdict.tx_hash == ""


def test_an_approved_payout_within_the_grace_is_not_sent_yet_and_nothing_to_do(chain, investigator, session):
    record(session, status="approved", sent_minutes_ago=5)
    verdict = judge(investigator, session)
    assert verdict.code == "payout_not_sent"
    assert "nothing for finance" in verdict.verdict["action"]


def test_a_rejected_payout_is_not_sent_and_final(chain, investigator, session):
    record(session, status="rejected")
    verdict = judge(investigator, session)
    assert verdict.code == "payout_not_sent" and verdict.final
    assert "not approved" in verdict.verdict["player_message"]["en"]


def test_a_tx_no_provider_knows_after_the_grace_is_not_sent(chain, investigator, session):
    record(session, "ab" * 32, sent_minutes_ago=40)
    verdict = judge(investigator, session)
    assert verdict.code == "payout_not_sent" and "never broadcast" in verdict.verdict["summary"]


def test_a_tx_no_provider_knows_within_the_grace_is_pending(chain, investigator, session):
    record(session, "ab" * 32, sent_minutes_ago=3)
    verdict = judge(investigator, session)
    assert verdict.code == "payout_pending" and not verdict.final


# --- in the mempool -----------------------------------------------------------------------------


def test_a_payout_at_a_normal_fee_rate_is_pending_with_an_eta(chain, investigator, session):
    tx = payout_tx(chain, fee=2_000)
    assert rate(tx) > 15  # above every histogram band but the top one: mined in the next block
    record(session, tx["txid"])
    verdict = judge(investigator, session)
    assert verdict.code == "payout_pending" and not verdict.final
    assert verdict.evidence["eta_minutes"] == 10
    assert "about 10 minutes" in verdict.verdict["player_message"]["en"]
    assert "10 минут" in verdict.verdict["player_message"]["ru"]
    assert verdict.evidence["fee_market"]["estimates_sat_vb"]["6"] == "10.0"


def test_a_lower_rate_waits_behind_the_mempool_that_pays_more(chain, investigator, session):
    tx = payout_tx(chain, fee=1_300)  # ~11.5 sat/vB: behind 0.4 + 0.7 MvB of higher rates
    record(session, tx["txid"])
    verdict = judge(investigator, session)
    assert verdict.code == "payout_pending"
    assert verdict.evidence["eta_minutes"] == 20


def test_a_low_fee_payout_that_signals_rbf_is_stuck_with_rbf_advice(chain, investigator, session):
    tx = payout_tx(chain, fee=150, rbf=True)
    assert rate(tx) < 10
    record(session, tx["txid"])
    verdict = judge(investigator, session)
    assert verdict.code == "payout_stuck" and not verdict.final
    assert verdict.evidence["advice"]["kind"] == "rbf"
    assert "RBF" in verdict.verdict["action"] and "10.0 sat/vB" in verdict.verdict["action"]
    assert "delivered" not in verdict.verdict["player_message"]["en"]


def test_a_low_fee_payout_without_rbf_gets_cpfp_advice_naming_the_change_output(chain, investigator, session):
    tx = payout_tx(chain, fee=150, rbf=False)
    record(session, tx["txid"])
    verdict = judge(investigator, session)
    assert verdict.code == "payout_stuck"
    advice = verdict.evidence["advice"]
    assert advice["kind"] == "cpfp"
    assert advice["change_output"] == {"txid": tx["txid"], "vout": 1, "address": HOT}
    assert f"{tx['txid']}:1" in verdict.verdict["action"] and "CPFP" in verdict.verdict["action"]
    vsize = -(-tx["weight"] // 4)
    assert int(advice["min_child_fee_sat"]) == 10 * (vsize + 110) - 150


def test_the_horizon_setting_decides_what_is_stuck(chain, investigator, session):
    tx = payout_tx(chain, fee=500)  # ~4.4 sat/vB: under the 6-block estimate, over the 25-block one
    record(session, tx["txid"])
    assert judge(investigator, session).code == "payout_stuck"
    investigator.policy = type(investigator.policy)(**{**vars(investigator.policy), "payout_fee_horizon_blocks": 25})
    assert judge(investigator, session).code == "payout_pending"


# --- in a block ---------------------------------------------------------------------------------


def test_a_payout_in_a_block_short_of_the_confirmations_is_confirming(chain, investigator, session):
    tx = payout_tx(chain, height=TIP)
    record(session, tx["txid"])
    verdict = judge(investigator, session)
    assert verdict.code == "payout_confirming" and verdict.evidence["confirmations"] == "1/2"
    assert "1 of 2" in verdict.verdict["player_message"]["en"]


def test_a_confirmed_payout_to_the_record_is_delivered(chain, investigator, session):
    tx = payout_tx(chain, height=TIP - 2)
    record(session, tx["txid"])
    verdict = judge(investigator, session)
    assert verdict.code == "payout_delivered" and verdict.final
    assert "exchange" in verdict.verdict["player_message"]["en"]
    assert "Auszahlung" in verdict.verdict["player_message"]["de"]


def test_delivered_allows_the_record_amount_less_the_stated_network_fee(chain, investigator, session):
    tx = payout_tx(chain, height=TIP - 2, amount=1_490_000)
    record(session, tx["txid"], network_fee="0.0001")
    assert judge(investigator, session).code == "payout_delivered"


def test_a_payout_to_another_address_is_wrong_address(chain, investigator, session):
    tx = payout_tx(chain, height=TIP - 2, to=ELSEWHERE)
    record(session, tx["txid"])
    verdict = judge(investigator, session)
    assert verdict.code == "payout_wrong_address" and verdict.final
    assert ELSEWHERE in verdict.evidence["paid_to"]
    assert "arrived" not in verdict.verdict["player_message"]["en"]


def test_a_payout_of_another_amount_differs(chain, investigator, session):
    tx = payout_tx(chain, height=TIP - 2, amount=1_000_000)
    record(session, tx["txid"])
    verdict = judge(investigator, session)
    assert verdict.code == "payout_amount_differs" and verdict.final
    assert verdict.evidence["paid"]["amount"] == "0.01"


# --- replaced and dropped -----------------------------------------------------------------------


def test_an_rbf_replacement_is_followed_replaced_then_delivered(chain, investigator, session):
    low = payout_tx(chain, fee=150, rbf=True)
    record(session, low["txid"])
    assert judge(investigator, session).code == "payout_stuck"
    inputs = [(v["txid"], v["vout"]) for v in low["vin"]]
    chain.forget(low["txid"])
    bumped = payout_tx(chain, fee=3_000, rbf=True, inputs=inputs, change=39_997_150)  # the fee comes out of the change
    assert bumped["txid"] != low["txid"]
    verdict = judge(investigator, session)
    assert verdict.code == "payout_replaced" and not verdict.final
    assert verdict.evidence["replaced_by"] == bumped["txid"]
    assert verdict.evidence["replacement"]["code"] == "payout_pending"
    chain.confirm(bumped["txid"], TIP - 1)
    verdict = judge(investigator, session)
    assert verdict.code == "payout_delivered" and verdict.final
    assert verdict.evidence["replaced_from"] == low["txid"]


def test_a_replacement_paying_the_hot_wallet_only_is_a_cancelled_payout(chain, investigator, session):
    low = payout_tx(chain, fee=150, rbf=True)
    record(session, low["txid"])
    judge(investigator, session)
    chain.forget(low["txid"])
    chain.build_tx(
        [(HOT, 41_000_000)], senders=[HOT], rbf=True, fee=4_000, inputs=[(v["txid"], v["vout"]) for v in low["vin"]]
    )
    verdict = judge(investigator, session)
    assert verdict.code == "payout_replaced" and verdict.final
    assert "cancelled" in verdict.verdict["summary"]


def test_a_payout_seen_then_gone_without_a_replacement_is_dropped(chain, investigator, session):
    tx = payout_tx(chain, fee=150)
    record(session, tx["txid"])
    judge(investigator, session)
    chain.forget(tx["txid"])
    chain.spends.clear()
    investigator.clock = lambda: NOW + timedelta(minutes=30)
    verdict = judge(investigator, session)
    assert verdict.code == "payout_dropped" and verdict.final


# --- how payouts are asked for ------------------------------------------------------------------


def test_a_hash_a_payout_record_names_is_judged_as_that_payout(chain, investigator, session):
    tx = payout_tx(chain, height=TIP - 2)
    record(session, tx["txid"])
    verdict = investigator.investigate(session, InvestigationRequest(tx_hash=tx["txid"]))
    assert verdict.code == "payout_delivered" and verdict.payout_id == "w-77"


def test_an_unknown_payout_id_is_refused_naming_the_field(chain, investigator, session):
    with pytest.raises(InvalidInput) as refused:
        investigator.payout(session, "w-404")
    assert refused.value.field == "payout_id"


def test_a_recheck_follows_the_record_to_its_new_state(chain, investigator, session):
    tx = payout_tx(chain, height=TIP)
    record(session, tx["txid"])
    verdict = judge(investigator, session)
    assert verdict.code == "payout_confirming"
    chain.tip_height = TIP + 1
    again = investigator.recheck(session, verdict)
    assert again.code == "payout_delivered" and again.history[-1]["code"] == "payout_confirming"


# --- which payout codes may be answered publicly ------------------------------------------------


@pytest.mark.parametrize("code", sorted(PAYOUT_CASINO_ERRORS))
def test_a_payout_code_that_is_the_casinos_error_is_never_public(code):
    assert code.value not in PUBLIC_REPLY_CODES


def test_every_payout_code_is_either_progress_or_the_casinos_error():
    progress = {PayoutCode.PENDING, PayoutCode.CONFIRMING, PayoutCode.DELIVERED}
    assert set(PayoutCode) == progress | PAYOUT_CASINO_ERRORS
    assert {c.value for c in progress} <= PUBLIC_REPLY_CODES
