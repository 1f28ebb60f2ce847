"""A leak at 02:00 on a Sunday, through every service, with real e-mail and webhooks.

The system runs with its clock set to the last Sunday 02:00 in Shanghai (CLOCK_OFFSET_S),
so the duty roster, not the technicians' workload, decides who gets the ticket: the day
plumber is off, the night plumber and the supervisor are on duty. The P1 policy's targets
are seconds long so the escalation happens while the test waits. Messages go to a real
SMTP server and a real webhook receiver; each must arrive exactly once, also when
dispatch, SLA or notification is killed (SIGKILL) mid-flow and started again.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from tests.e2e.conftest import signed_in
from tests.e2e.helpers import event_types, ok, put_dispatch, wait_for
from tests.e2e.mqtt import Publisher
from tests.e2e.system import BRISK, System, offset_to_last, running_system
from tests.support.receivers import Mailbox, Webhook, running_mailbox, running_webhook

Login = Callable[[str], httpx.Client]

SITE_TZ = ZoneInfo("Asia/Shanghai")
RESPOND_S = 6
#: (recipient, message kind) a night leak causes: the assignee hears of the SLA too.
EXPECTED = {
    ("tech2", "assigned_to_you"),
    ("tech2", "sla_reminder"),
    ("tech2", "sla_breached"),
    ("supervisor1", "dispatch_paged"),
    ("supervisor1", "sla_escalated"),
    ("role:supervisor", "sla_escalated"),
}
#: When nobody is assigned before the deadline, the SLA's reminders have nobody to tell.
ASSIGNED_LATE = EXPECTED - {("tech2", "sla_reminder"), ("tech2", "sla_breached")}
#: Who has e-mail and a webhook; "role:supervisor" (the supervisors' group) has a webhook.
MAILED = {"tech2", "supervisor1"}


class Night:
    """The running system and what it sends out."""

    def __init__(self, system: System, login: Login, mailbox: Mailbox, webhook: Webhook):
        self.system = system
        self.login = login
        self.mailbox = mailbox
        self.webhook = webhook
        self.publisher = Publisher(system.mqtt_port)


def configure(night: Night) -> None:
    """Teams, technicians, the duty roster, rules, the P1 policy and contacts, over REST."""
    admin, boss = night.login("admin"), night.login("supervisor1")
    every_day = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
    put_dispatch(
        boss,
        teams=[{"code": "maintenance", "name": "工程维修部", "supervisors": ["supervisor1"]}],
        technicians=[
            {"username": "tech1", "team": "maintenance", "skills": ["plumbing"]},
            {"username": "tech2", "team": "maintenance", "skills": ["plumbing", "electrical"]},
        ],
        shifts=[  # the day plumber on weekdays; the night plumber nights and weekends
            {"username": "tech1", "days": every_day[:5], "start": "08:00", "end": "18:00"},
            {"username": "tech2", "days": every_day[:5], "start": "18:00", "end": "08:00"},
            {"username": "tech2", "days": every_day[5:], "start": "00:00", "end": "00:00"},
            {"username": "supervisor1", "days": every_day, "start": "00:00", "end": "00:00"},
        ],
        rules=[
            {"name": "emergencies", "match": {"priorities": ["P1"]},
             "action": {"mode": "best_technician", "team": "maintenance"}},
            {"name": "default", "match": {}, "action": {"mode": "team", "team": "maintenance"}},
        ],
    )  # fmt: skip
    # The site's own P1 policy (the supervisor's site, demo) goes before the default one.
    ok(boss.put("/v1/sla/policies/demo-p1", json={
        "name": "P1 in seconds (test)", "priority": "P1", "calendar": "24x7",
        "respond_target_s": RESPOND_S, "resolve_target_s": 3600,
        "reminder_share": 0.5, "remind": ["assignee"],
        "escalations": [{"target": "respond", "after_share": 1.0, "action": "escalate",
                         "notify": ["supervisor1", "role:supervisor"]}]}))  # fmt: skip
    for who in sorted(MAILED):
        urls = [night.mailbox.url(f"{who}@example.com"), night.webhook.url(f"/{who}")]
        ok(admin.put(f"/v1/notifications/contacts/{who}", json={"apprise_urls": urls}))
    ok(admin.put("/v1/notifications/contacts/role:supervisor",
                  json={"apprise_urls": [night.webhook.url("/supervisors")]}))  # fmt: skip


@pytest.fixture(scope="module")
def night(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Night]:
    log_path: Path = tmp_path_factory.mktemp("night") / "system.log"
    with (
        running_mailbox() as mailbox,
        running_webhook() as webhook,
        running_system(
            log_path,
            CLOCK_OFFSET_S=str(offset_to_last(6, 2, 0, SITE_TZ)),
            **BRISK,
        ) as system,
    ):
        for login in signed_in(system):
            running = Night(system, login, mailbox, webhook)
            configure(running)
            try:
                yield running
            finally:
                running.publisher.close()


def raise_leak(night: Night, floor: int) -> dict[str, Any]:
    """Register a leak sensor on `floor` of building A, publish its alert, return the ticket."""
    admin = night.login("admin")
    device_id = f"leak-A-{floor}-night"
    ok(
        admin.put(
            f"/v1/devices/{device_id}",
            json={
                "kind": "leak",
                "location": {"site": "demo", "building": "A", "floor": str(floor)},
            },
        )
    )
    night.publisher.send(f"maint/demo/{device_id}/alert", {"type": "leak"})

    def ticket() -> dict[str, Any] | None:
        items = ok(admin.get("/v1/tickets", params={"device_id": device_id}))["items"]
        return items[0] if items else None

    found: dict[str, Any] = wait_for(ticket, timeout_s=15)
    return found


def _deliveries(night: Night, ticket_id: str) -> list[dict[str, Any]]:
    reply = night.login("supervisor1").get(
        "/v1/notifications/deliveries", params={"ticket_id": ticket_id, "limit": 200}
    )
    items: list[dict[str, Any]] = ok(reply)["items"]
    return items


def all_told(
    night: Night, ticket: dict[str, Any], expected: set[tuple[str, str]], timeout_s: float = 30
) -> list[dict[str, Any]]:
    """Wait until every `expected` (recipient, kind) message of `ticket` is sent; check each
    arrived once by e-mail and by webhook, and nothing else did; return the deliveries."""

    def sent() -> list[dict[str, Any]] | None:
        rows = _deliveries(night, ticket["id"])
        told = {(d["recipient"], d["kind"]) for d in rows if d["state"] == "sent"}
        return rows if told >= expected and all(d["state"] == "sent" for d in rows) else None

    rows: list[dict[str, Any]] = wait_for(sent, timeout_s=timeout_s, every_s=0.3)
    time.sleep(1.0)  # anything sent twice would arrive now
    number = ticket["number"]
    assert {(d["recipient"], d["kind"]) for d in rows} == expected
    assert len(rows) == sum(2 if who in MAILED else 1 for who, _ in expected), rows
    for who in sorted(MAILED):
        mails = sorted(m["Subject"] for m in night.mailbox.to(f"{who}@example.com", number))
        hooks = sorted(b["title"] for b in night.webhook.got(f"/{who}", number))
        kinds = sorted(kind for recipient, kind in expected if recipient == who)
        assert len(mails) == len(set(mails)) == len(kinds), (who, mails)
        assert hooks == mails, (who, hooks, mails)
    assert len(night.webhook.got("/supervisors", number)) == 1
    return rows


def test_the_clock_says_sunday_night_and_the_night_shift_is_on_duty(night: Night) -> None:
    roster = ok(night.login("supervisor1").get("/v1/dispatch/roster"))
    assert sorted(roster["on_duty"]) == ["supervisor1", "tech2"]


def test_a_sunday_night_leak_is_routed_timed_escalated_and_told_once(night: Night) -> None:
    ticket = raise_leak(night, floor=5)
    assert (ticket["priority"], ticket["source"], ticket["kind"]) == ("P1", "sensor", "repair")
    created = datetime.fromisoformat(ticket["created_at"]).astimezone(SITE_TZ)
    assert (created.weekday(), created.hour) == (6, 2)  # Sunday, 02:xx on the site
    boss = night.login("supervisor1")
    assigned = wait_for(lambda: ok(boss.get(f"/v1/tickets/{ticket['id']}"))["assignee"])
    assert assigned == "tech2"  # the night plumber, although tech1 has no work at all
    wait_for(
        lambda: "sla_escalated" in event_types(night.login("supervisor1"), ticket["id"]),
        timeout_s=20,
    )
    clocks = ok(boss.get(f"/v1/tickets/{ticket['id']}/sla"))
    assert clocks["respond"]["breached"] is True and clocks["policy_id"] == "demo-p1"
    types = event_types(night.login("supervisor1"), ticket["id"])
    assert types.count("assigned") == types.count("dispatch_paged") == 1, types
    rows = all_told(night, ticket, EXPECTED)
    assert all(d["attempts"] == 1 for d in rows)
    inbox = ok(night.login("tech2").get("/v1/notifications"))["items"]
    mine = [n["kind"] for n in inbox if n["ticket_id"] == ticket["id"]]
    assert sorted(mine) == ["assigned_to_you", "sla_breached", "sla_reminder"]
    inbox = ok(night.login("supervisor1").get("/v1/notifications"))["items"]
    theirs = [n["kind"] for n in inbox if n["ticket_id"] == ticket["id"]]
    # Their own page and escalation, and the supervisors' shared copy of the escalation.
    assert sorted(theirs) == ["dispatch_paged", "sla_escalated", "sla_escalated"]


@pytest.mark.parametrize("service", ["dispatch", "sla", "notification"])
def test_killing_a_service_mid_flow_loses_nothing(night: Night, service: str) -> None:
    """Dispatch and notification die before the alert; SLA dies between the reminder and
    the deadline, with the breach and escalation timers stored. Each comes back after the
    deadline has passed."""
    floor = {"dispatch": 6, "sla": 7, "notification": 8}[service]
    if service != "sla":
        night.system.kill(service)
    ticket = raise_leak(night, floor=floor)
    if service == "sla":
        boss = night.login("supervisor1")
        wait_for(lambda: "sla_reminder" in event_types(boss, ticket["id"]), every_s=0.05)
        night.system.kill(service)
    time.sleep(RESPOND_S + 1)  # the deadline passes while the service is down
    night.system.restart(service)
    all_told(night, ticket, ASSIGNED_LATE if service == "dispatch" else EXPECTED)
    types = event_types(night.login("supervisor1"), ticket["id"])
    for once in ("assigned", "dispatch_paged", "sla_reminder", "sla_breached", "sla_escalated"):
        assert types.count(once) == 1, (once, types)
