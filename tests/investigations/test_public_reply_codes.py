"""Which verdict codes the bot may answer publicly (issue 26): one test per code, and the rule that
a code is public only when it is listed (a new code is private by default)."""

from __future__ import annotations

import pytest

from app.settings import SettingsError, load_settings
from investigations.verdicts import PUBLIC_REPLY_CODES, Code, public_reply_allowed, refused_public_codes

SAFE = {Code.PENDING: True, Code.CONFIRMING: True, Code.CREDITED: True}
NEEDS_A_PERSON = [code for code in Code if code not in SAFE]


@pytest.mark.parametrize("code", list(SAFE))
def test_a_safe_code_may_be_public(code: Code) -> None:
    assert public_reply_allowed(code)


@pytest.mark.parametrize("code", NEEDS_A_PERSON)
def test_a_code_that_needs_a_person_is_never_public(code: Code) -> None:
    assert not public_reply_allowed(code)
    assert refused_public_codes([code.value]) == [code.value]


@pytest.mark.parametrize("code", ["payout_pending", "payout_confirming", "payout_delivered"])
def test_the_payout_codes_that_only_report_progress_are_public(code: str) -> None:
    assert public_reply_allowed(code)


@pytest.mark.parametrize(
    "code", ["payout_not_sent", "payout_stuck", "payout_wrong_address", "payout_amount_differs", "payout_failed",
             "payout_replaced", "payout_dropped", "a_code_added_later"],
)  # fmt: skip
def test_a_code_not_listed_is_private_by_default(code: str) -> None:
    assert not public_reply_allowed(code)


def test_the_list_is_exactly_the_six_codes() -> None:
    assert PUBLIC_REPLY_CODES == {
        "pending", "confirming", "credited", "payout_pending", "payout_confirming", "payout_delivered",
    }  # fmt: skip


def test_a_risky_code_in_auto_reply_stops_the_start(tmp_path) -> None:
    with pytest.raises(SettingsError) as raised:
        load_settings(
            database_url=f"sqlite:///{tmp_path}/x.db", auto_reply="credited,confirmed_not_credited,wrong_network",
            auto_reply_mode="on", _env_file=None,
        )  # fmt: skip
    message = str(raised.value)
    assert "AUTO_REPLY" in message.upper()
    assert "confirmed_not_credited" in message and "wrong_network" in message
    assert "need(s) a person" in message


def test_safe_codes_and_modes_are_accepted(tmp_path) -> None:
    settings = load_settings(
        database_url=f"sqlite:///{tmp_path}/x.db", auto_reply="credited,confirming,pending", auto_reply_mode="shadow",
        _env_file=None,
    )  # fmt: skip
    assert settings.auto_reply == ["credited", "confirming", "pending"]
    assert settings.auto_reply_mode == "shadow" and settings.auto_reply_max_per_ticket == 2


def test_an_unknown_mode_stops_the_start(tmp_path) -> None:
    with pytest.raises(SettingsError, match="auto_reply_mode|AUTO_REPLY_MODE"):
        load_settings(database_url=f"sqlite:///{tmp_path}/x.db", auto_reply_mode="always", _env_file=None)
