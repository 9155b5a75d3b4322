"""Each helpdesk client against a fake that paginates as the helpdesk documents: the newest messages
are read, markers are found on any page read, reads are bounded, tags and labels are merged."""

from __future__ import annotations

import pytest

from app.helpdesks.clients.base import HelpdeskError
from app.helpdesks.clients.chatwoot import Chatwoot
from app.helpdesks.clients.freshdesk import Freshdesk
from app.helpdesks.clients.zendesk import Zendesk
from tests.support.freshdesk_chatwoot import FakeChatwoot, FakeFreshdesk
from tests.support.helpdesks import FakeZendesk

MARKER = "[depositdesk inv-1 credited]"


@pytest.fixture
def zendesk(http_mock):
    fake = FakeZendesk()
    fake.serve(http_mock)
    fake.ticket("1", "deposit", "where is my deposit")
    return fake


@pytest.fixture
def freshdesk(http_mock):
    fake = FakeFreshdesk()
    fake.serve(http_mock)
    fake.ticket("2", "Einzahlung", "wo ist meine Einzahlung")
    return fake


@pytest.fixture
def chatwoot(http_mock):
    fake = FakeChatwoot()
    fake.serve(http_mock)
    return fake


def _zendesk(fake: FakeZendesk, **options) -> Zendesk:
    return Zendesk(fake.base, "bot@casino.example", "t", ["s"], rate_per_second=1000, **options)


def _freshdesk(fake: FakeFreshdesk, **options) -> Freshdesk:
    return Freshdesk(fake.base, "k", ["s"], rate_per_second=1000, update_rate_per_second=1000, **options)


def _chatwoot(fake: FakeChatwoot, **options) -> Chatwoot:
    return Chatwoot(fake.base, fake.account, "t", ["s"], rate_per_second=1000, **options)


def test_zendesk_reads_the_latest_of_150_comments_not_the_first_page(zendesk):
    for number in range(2, 151):
        zendesk.comment("1", f"comment {number}")
    text = _zendesk(zendesk).fetch("1").text
    assert text.splitlines()[-5:] == [f"comment {n}" for n in range(146, 151)]
    assert zendesk.reads == ["/api/v2/tickets/1/comments.json"]  # one page (newest 100) is enough


def test_zendesk_finds_a_marker_on_a_later_cursor_page_and_stops_at_the_bound(zendesk):
    zendesk.comment("1", f"our note {MARKER}", public=False)  # comment 2: oldest but one of 250
    for number in range(3, 251):
        zendesk.comment("1", f"comment {number}")
    assert _zendesk(zendesk).find_note("1", MARKER) == "2"
    assert len(zendesk.reads) == 3  # 100 + 100 + 50, following links.next while meta.has_more
    zendesk.reads.clear()
    assert _zendesk(zendesk, max_pages=2).find_note("1", MARKER) is None
    assert len(zendesk.reads) == 2


def test_zendesk_tags_go_through_the_tags_api_and_keep_the_tickets_own(zendesk):
    zendesk.tickets["1"]["tags"] = ["vip"]
    _zendesk(zendesk).add_tags("1", ["deposit-credited"])
    assert zendesk.tickets["1"]["tags"] == ["deposit-credited", "vip"]


def test_freshdesk_reads_every_conversation_page_for_the_latest_and_for_markers(freshdesk):
    for number in range(1, 151):
        freshdesk.conversation("2", f"reply {number}")
        if number == 40:  # beyond the default page of 30 and the ten of include=conversations
            note = freshdesk.conversation("2", f"our note {MARKER}", private=True)
    client = _freshdesk(freshdesk)
    assert client.fetch("2").text.splitlines()[-5:] == [f"reply {n}" for n in range(146, 151)]
    assert client.find_note("2", MARKER) == str(note["id"])
    assert _freshdesk(freshdesk, max_pages=1).fetch("2").text.splitlines()[-1] == "reply 99"  # bounded: 100 of 151


def test_freshdesk_tags_are_read_merged_and_written_and_nothing_is_written_when_present(freshdesk, http_mock):
    client = _freshdesk(freshdesk)
    client.add_tags("2", ["deposit-credited"])
    assert freshdesk.tickets["2"]["tags"] == ["deposit-credited", "vip"]
    puts = sum(1 for call in http_mock.calls if call.request.method == "PUT")
    client.add_tags("2", ["deposit-credited"])
    assert sum(1 for call in http_mock.calls if call.request.method == "PUT") == puts


def test_chatwoot_reads_older_batches_with_before(chatwoot):
    chatwoot.message("12", f"our note {MARKER}", message_type=1, private=True)
    for number in range(2, 46):
        chatwoot.message("12", f"player {number}")
    for number in range(46, 66):
        chatwoot.message("12", f"agent {number}", message_type=1)  # the newest batch has no player message
    client = _chatwoot(chatwoot)
    assert client.fetch("12").text.splitlines() == [f"player {n}" for n in range(41, 46)]
    assert client.find_note("12", MARKER) == "901"
    assert _chatwoot(chatwoot, max_pages=2).find_note("12", MARKER) is None  # 40 of 65 messages read


def test_chatwoot_labels_are_merged_not_replaced(chatwoot):
    chatwoot.labels["12"] = ["vip"]
    _chatwoot(chatwoot).add_tags("12", ["deposit-pending"])
    assert chatwoot.labels["12"] == ["deposit-pending", "vip"]


def test_labels_removed_by_a_concurrent_replace_are_an_error_and_the_retry_keeps_both(chatwoot):
    chatwoot.labels["12"] = ["vip"]
    chatwoot.replaced_after_ours = [["urgent", "vip"]]  # an agent's replace, from a list read before ours
    client = _chatwoot(chatwoot)
    with pytest.raises(HelpdeskError) as caught:
        client.add_tags("12", ["deposit-pending"])
    assert caught.value.retryable
    client.add_tags("12", ["deposit-pending"])  # the job's retry
    assert chatwoot.labels["12"] == ["deposit-pending", "urgent", "vip"]


def test_a_label_write_the_helpdesk_does_not_keep_is_an_error_to_retry(http_mock):
    base = "https://other-chat.example"
    labels = f"{base}/api/v1/accounts/7/conversations/12/labels"
    http_mock.add("GET", labels, json={"payload": ["vip"]})
    http_mock.add("POST", labels, json={"payload": ["vip"]})  # e.g. another writer's list won
    with pytest.raises(HelpdeskError) as caught:
        Chatwoot(base, "7", "t", ["s"], rate_per_second=1000).add_tags("12", ["deposit-pending"])
    assert caught.value.retryable
