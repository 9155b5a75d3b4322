"""Every verdict code has a severity level, defined beside the codes; the pages take colour, symbol
and order from it. A code added without a level fails here, so whoever adds one decides it."""

from __future__ import annotations

import pytest

from investigations.verdicts import LEVEL_ORDER, LEVELS, Code, Level, PayoutCode, level, level_rank


@pytest.mark.parametrize("code", [*Code, *PayoutCode])
def test_every_code_has_a_level(code):
    assert code.value in LEVELS, f"give {code.value!r} a level in investigations.verdicts.LEVELS"
    assert isinstance(LEVELS[code.value], Level)


@pytest.mark.parametrize(
    "code",
    ["confirmed_not_credited", "amount_mismatch", "wrong_network", "already_claimed", "other_player_address"],
)
def test_money_the_casino_must_move_or_decide_needs_action(code):
    assert level(code) is Level.NEEDS_ACTION


def test_moving_payments_are_watched_and_credited_is_fine():
    assert level("pending") is level("confirming") is Level.WATCH
    assert level("credited") is Level.FINE
    assert level("provider_unavailable") is Level.CANNOT_TELL


def test_an_unknown_code_cannot_be_told_and_sorts_after_what_needs_action():
    assert level("some_future_code") is Level.CANNOT_TELL
    ranked = sorted(["credited", "confirming", "some_future_code", "confirmed_not_credited"], key=level_rank)
    assert ranked == ["confirmed_not_credited", "confirming", "some_future_code", "credited"]
    assert LEVEL_ORDER[0] is Level.NEEDS_ACTION and LEVEL_ORDER[-1] is Level.FINE


def test_the_casinos_payout_errors_need_action_and_a_delivered_payout_is_fine():
    assert level("payout_not_sent") is level("payout_wrong_address") is Level.NEEDS_ACTION
    assert level("payout_confirming") is Level.WATCH and level("payout_delivered") is Level.FINE
