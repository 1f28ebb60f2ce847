"""Templates in both locales for every message kind; locale matching; retry and contact rules;
the apprise adapter's parsing (no network); protobuf translation."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

import pytest
from maintenance.intake.v1 import intake_pb2 as intake_pb
from maintenance.notification.v1 import notification_pb2 as pb

from services.notification.adapters.apprise_channels import AppriseChannels, scheme_of
from services.notification.adapters.inbox_repo import InboxItem
from services.notification.adapters.outbox_repo import DeliveryRow
from services.notification.domain.delivery import MAX_URLS, RetryPolicy, check_contact
from services.notification.domain.errors import InvalidInput
from services.notification.domain.model import Contact, DeliveryState, MessageKind
from services.notification.domain.templates import (
    LOCALES,
    TEMPLATES,
    match_locale,
    normalize_locale,
    render,
)
from services.notification.entrypoint import messages as m

CJK = re.compile(r"[\u4e00-\u9fff]")
FIELDS = {"number": "T20310501-0000042", "title": "Leak under sink", "assignee": "tech1",
          "stars": "4", "level": "2", "target": "resolve"}  # fmt: skip


def test_every_kind_has_a_template_in_every_locale() -> None:
    assert set(LOCALES) == {"zh-CN", "en"} == set(TEMPLATES)
    for locale in LOCALES:
        assert set(TEMPLATES[locale]) == set(MessageKind), locale


@pytest.mark.parametrize("kind", list(MessageKind))
@pytest.mark.parametrize("locale", ["zh-CN", "en"])
def test_every_template_renders_cleanly(kind: MessageKind, locale: str) -> None:
    words = render(kind, locale, FIELDS)
    for text in (words.title, words.body):
        assert text.strip() and "{" not in text and "}" not in text
    assert FIELDS["number"] in words.title + words.body
    if locale == "zh-CN":
        assert CJK.search(words.title) and CJK.search(words.body)
    else:
        assert not CJK.search(words.title + words.body)


@pytest.mark.parametrize("kind", list(MessageKind))
@pytest.mark.parametrize("locale", ["zh-CN", "en"])
def test_missing_fields_become_neutral_words(kind: MessageKind, locale: str) -> None:
    words = render(kind, locale, {"number": "T1", "title": ""})
    assert "{" not in words.title + words.body
    assert "None" not in words.title + words.body


def test_the_words_that_matter_are_there() -> None:
    assert render(MessageKind.DISPATCHED, "en", FIELDS).body.endswith("technician tech1.")
    assert "4" in render(MessageKind.RATED, "zh-CN", FIELDS).title
    assert "resolution" in render(MessageKind.SLA_ESCALATED, "en", FIELDS).body
    assert "解决时限" in render(MessageKind.SLA_BREACHED, "zh-CN", FIELDS).body
    assert (
        "response" in render(MessageKind.SLA_REMINDER, "en", {**FIELDS, "target": "respond"}).body
    )
    assert render(MessageKind.ON_THE_WAY, "en", FIELDS).title == (
        "Technician on the way: T20310501-0000042"
    )
    assert render(MessageKind.PLEASE_RATE, "zh-CN", FIELDS).title == "请评价工单 T20310501-0000042"


def test_a_title_with_braces_is_not_a_template() -> None:
    words = render(MessageKind.RECEIVED, "en", {"number": "T1", "title": "{number} {0} {x.y}"})
    assert "{number} {0} {x.y}" in words.body


@pytest.mark.parametrize(
    ("tag", "expected"),
    [("zh-CN", "zh-CN"), ("zh", "zh-CN"), ("zh_cn", "zh-CN"), ("zh-Hans-CN", "zh-CN"),
     ("en", "en"), ("en-US", "en"), ("EN_gb", "en"), (" en ", "en"), ("fr", None), ("", None)],
)  # fmt: skip
def test_language_tags_are_matched(tag: str, expected: str | None) -> None:
    assert match_locale(tag) == expected


def test_unknown_languages_fall_back() -> None:
    assert normalize_locale("fr", "en") == "en"
    assert normalize_locale("fr", "xx") == "zh-CN"
    assert normalize_locale("en-AU", "zh-CN") == "en"


# --- retries and contacts --------------------------------------------------------------------


def test_backoff_doubles_to_the_cap_then_the_delivery_is_dead() -> None:
    policy = RetryPolicy(max_attempts=5, base_s=5, cap_s=30)
    assert [policy.delay_after(n) for n in range(1, 7)] == [5, 10, 20, 30, None, None]
    assert RetryPolicy(max_attempts=1).delay_after(1) is None
    with pytest.raises(ValueError):
        RetryPolicy(max_attempts=0)
    with pytest.raises(ValueError):
        RetryPolicy(base_s=10, cap_s=5)


def test_contacts_are_normalised_and_checked() -> None:
    checked = check_contact(Contact("tenant1", "zh_CN", (" json://h/x ", "json://h/x")))
    assert (checked.locale, checked.apprise_urls) == ("zh-CN", ("json://h/x",))
    bad = [
        Contact("tenant1", "fr"),
        Contact("", "en"),
        Contact(" tenant1", "en"),
        Contact("x" * 65, "en"),
        Contact("tenant1", "en", ("not a url",)),
        Contact("tenant1", "en", tuple(f"json://h/{i}" for i in range(MAX_URLS + 1))),
    ]
    for contact in bad:
        with pytest.raises(InvalidInput):
            check_contact(contact)


# --- the apprise adapter's parsing ---------------------------------------------------------


def test_apprise_urls_are_validated_and_described_without_secrets() -> None:
    channels = AppriseChannels()
    mail = (
        "mailto://user:s3cretpass@127.0.0.1:2525?from=a@example.com&to=b@example.com&mode=insecure"
    )
    assert channels.is_valid(mail) and channels.is_valid("json://127.0.0.1:8080/hook")
    assert not channels.is_valid("nosuchscheme://x") and not channels.is_valid("plain text")
    assert "s3cretpass" not in channels.describe(mail)
    assert channels.describe("nosuchscheme://x") == "nosuchscheme://(invalid)"
    assert scheme_of(mail) == "mailto" and scheme_of("JSON://h") == "json"
    assert scheme_of("weird-scheme!://x") == "other"


# --- protobuf translation ------------------------------------------------------------------


def test_events_translate_with_bad_payloads_as_empty() -> None:
    event = intake_pb.TicketEvent(id=5, ticket_id="t", type="assigned", actor="d",
                                  payload_json=json.dumps({"assignee": "tech1"}))  # fmt: skip
    event.occurred_at.FromDatetime(datetime(2031, 1, 1, tzinfo=UTC))
    facts = m.event_from_pb(event)
    assert (facts.id, facts.payload, facts.occurred_at.tzinfo) == (5, {"assignee": "tech1"}, UTC)
    for text in ("", "not json", "[1, 2]"):
        event.payload_json = text
        assert m.event_from_pb(event).payload == {}


def test_inbox_items_and_deliveries_translate() -> None:
    at = datetime(2031, 1, 1, tzinfo=UTC)
    item = InboxItem(
        1, "tenant1", "t", "T1", "created", "received", "Title", "Body", "en", at, None
    )
    message = m.notification_to_pb(item)
    assert not message.HasField("read_at") and message.ticket_id == "t"
    row = DeliveryRow(2, "9:tenant1:abc", 9, "t", "created", "received", "tenant1", "json://h",
                      DeliveryState.DEAD, 5, "boom", "Title", at, at, None, "demo")  # fmt: skip
    delivery = m.delivery_to_pb(row)
    assert delivery.state == pb.DELIVERY_STATE_DEAD and not delivery.HasField("next_attempt_at")
    assert delivery.site == "demo"
    request = pb.ListDeliveriesRequest(state=pb.DELIVERY_STATE_PENDING, ticket_id="t")
    assert m.filter_from_pb(request).state is DeliveryState.PENDING
    assert m.filter_from_pb(pb.ListDeliveriesRequest()).state is None
