"""A weekday at the service desk: a tenant's complaint timed in business hours, paused,
resolved and rated; a policy change that moves an open ticket's deadline; a claim race;
a notification channel that fails three times and then delivers once.

The system's clock starts at 11:51 on the last Wednesday in Shanghai (CLOCK_OFFSET_S),
nine minutes before the lunch break of the site's calendar (08:30-12:00, 13:30-18:00):
a 10-minute respond target set before noon therefore falls due 100 minutes later.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from tests.e2e.conftest import signed_in
from tests.e2e.helpers import event_types, ok, put_dispatch, raise_ticket, transition, wait_for
from tests.e2e.system import BRISK, offset_to_last, running_system
from tests.support.receivers import Webhook, running_webhook

Login = Callable[[str], httpx.Client]

SITE_TZ = ZoneInfo("Asia/Shanghai")
RESPOND_S = 600
RESOLVE_S = 4 * 3600
LUNCH = timedelta(minutes=90)
WEEKDAYS = ["mon", "tue", "wed", "thu", "fri"]


def _complaints_policy(respond_s: int) -> dict[str, Any]:
    return {"name": "Complaints, business hours (test)", "kind": "complaint",
            "calendar": "demo", "respond_target_s": respond_s, "resolve_target_s": RESOLVE_S}  # fmt: skip


def configure(login: Login, webhook: Webhook) -> None:
    """Two teams, a weekday roster, rules with a claim pool, the complaints policy and the
    tenant's webhook, over REST."""
    admin, boss = login("admin"), login("supervisor1")
    put_dispatch(
        boss,
        teams=[{"code": "maintenance", "name": "工程维修部", "supervisors": ["supervisor1"]},
               {"code": "service", "name": "客服中心", "supervisors": ["supervisor1"]}],
        technicians=[
            {"username": "tech1", "team": "maintenance", "skills": ["plumbing", "doors_windows"]},
            {"username": "tech2", "team": "maintenance", "skills": ["electrical", "doors_windows"]},
        ],
        shifts=[{"username": name, "days": WEEKDAYS, "start": "08:00", "end": "20:00"}
                for name in ("tech1", "tech2", "supervisor1")],
        rules=[
            {"name": "complaints to the service desk", "match": {"kinds": ["complaint"]},
             "action": {"mode": "team", "team": "service", "notify": ["dispatcher1"]}},
            {"name": "doors by day: claim pool",
             "match": {"categories": ["doors_windows"], "hours": ["08:00-20:00"]},
             "action": {"mode": "claim_pool", "team": "maintenance", "window_s": 600}},
            {"name": "default", "match": {},
             "action": {"mode": "best_technician", "team": "maintenance"}},
        ],
    )  # fmt: skip
    ok(boss.put("/v1/sla/policies/complaints", json=_complaints_policy(RESPOND_S)))
    for tenant in ("tenant1", "tenant2"):
        ok(admin.put(f"/v1/notifications/contacts/{tenant}",
                     json={"apprise_urls": [webhook.url(f"/{tenant}")]}))  # fmt: skip


class Day:
    def __init__(self, login: Login, webhook: Webhook) -> None:
        self.login = login
        self.webhook = webhook


@pytest.fixture(scope="module")
def day(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Day]:
    log_path: Path = tmp_path_factory.mktemp("weekday") / "system.log"
    with (
        running_webhook() as webhook,
        running_system(
            log_path,
            CLOCK_OFFSET_S=str(offset_to_last(2, 11, 51, SITE_TZ)),
            **BRISK,
        ) as system,
    ):
        for login in signed_in(system):
            configure(login, webhook)
            yield Day(login, webhook)


def _sla(client: httpx.Client, ticket_id: str) -> dict[str, Any]:
    found: dict[str, Any] = ok(client.get(f"/v1/tickets/{ticket_id}/sla"))
    return found


def _local(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp).astimezone(SITE_TZ)


def _complaint(day: Day, title: str) -> dict[str, Any]:
    return raise_ticket(day.login("tenant1"), kind="complaint", category="noise", title=title,
                        description="每晚十一点以后还很吵 / loud after 11 pm every night")  # fmt: skip


def _followed(client: httpx.Client, ticket_id: str) -> dict[str, Any]:
    """The ticket's SLA clocks once the SLA service has seen it."""

    def seen() -> dict[str, Any] | None:
        reply = client.get(f"/v1/tickets/{ticket_id}/sla")
        return dict(reply.json()) if reply.status_code == 200 else None

    found: dict[str, Any] = wait_for(seen)
    return found


def test_a_weekday_complaint_is_routed_timed_paused_resolved_and_rated(day: Day) -> None:
    desk, tech, tenant = day.login("dispatcher1"), day.login("tech1"), day.login("tenant1")
    ticket = _complaint(day, "楼上噪音 / noise from upstairs")
    created = _local(ticket["created_at"])
    assert created.weekday() == 2 and time_between(created, "11:50", "12:00"), created

    def routed() -> list[dict[str, Any]] | None:
        events = ok(desk.get(f"/v1/tickets/{ticket['id']}/events"))["items"]
        pages = [e["payload"] for e in events if e["type"] == "dispatch_paged"]
        told = {name for page in pages for name in page["notify"]}
        return pages if {"dispatcher1", "supervisor1"} <= told else None

    pages = wait_for(routed)  # the desk (the rule's notify) and the team's supervisor
    assert {p["team"] for p in pages} == {"service"}

    clocks = _followed(desk, ticket["id"])
    assert clocks["policy_id"] == "complaints" and clocks["calendar_id"] == "demo"
    respond_by = datetime.fromisoformat(clocks["respond_by"])
    # 10 business minutes from before noon: the lunch break does not count.
    assert respond_by - datetime.fromisoformat(ticket["created_at"]) == (
        timedelta(seconds=RESPOND_S) + LUNCH
    )

    ok(transition(desk, ticket["id"], "accept"))
    ok(transition(desk, ticket["id"], "assign", assignee="tech1"))
    ok(transition(tech, ticket["id"], "start"))
    wait_for(lambda: _sla(desk, ticket["id"])["respond"]["state"] == "met")
    before = datetime.fromisoformat(_sla(desk, ticket["id"])["resolve_by"])
    ok(transition(tech, ticket["id"], "pause", reason="waiting_tenant"))
    paused = wait_for(lambda: (s := _sla(desk, ticket["id"]))["paused"] and s)
    assert paused["resolve"]["state"] == "paused" and paused["resolve_by"] is None
    time.sleep(1.5)
    ok(transition(tech, ticket["id"], "resume"))
    resumed = wait_for(lambda: (s := _sla(desk, ticket["id"]))["pauses"][0]["ended_at"] and s)
    pause = resumed["pauses"][0]
    assert pause["reason"] == "waiting_tenant"
    waited = datetime.fromisoformat(pause["ended_at"]) - datetime.fromisoformat(pause["started_at"])
    later = datetime.fromisoformat(resumed["resolve_by"]) - before
    assert timedelta(seconds=1) < later <= waited  # only the business time waited is added

    ok(transition(tech, ticket["id"], "resolve", note="已与楼上住户沟通 / spoke to the neighbours"))
    assert ok(tenant.post(f"/v1/tickets/{ticket['id']}/rating", json={"stars": 5}))
    closed = ok(tenant.get(f"/v1/tickets/{ticket['id']}"))
    assert closed["status"] == "closed"
    final = wait_for(lambda: not (s := _sla(desk, ticket["id"]))["open"] and s)
    assert (final["respond"]["state"], final["resolve"]["state"]) == ("met", "met")
    assert not final["breached"]
    wait_for(lambda: _inbox_kinds(tenant, ticket["id"]) >= TENANT_KINDS)


TENANT_KINDS = {"received", "accepted", "dispatched", "on_the_way", "resolved", "please_rate"}


def _inbox_kinds(client: httpx.Client, ticket_id: str) -> set[str]:
    items = ok(client.get("/v1/notifications", params={"limit": 100}))["items"]
    return {n["kind"] for n in items if n["ticket_id"] == ticket_id}


def time_between(moment: datetime, start: str, end: str) -> bool:
    """Whether the local wall time of `moment` is in [start, end)."""
    return start <= moment.strftime("%H:%M") < end


def test_a_policy_change_recomputes_an_open_tickets_deadline(day: Day) -> None:
    boss = day.login("supervisor1")
    ticket = _complaint(day, "电梯间有异味 / a smell in the lift lobby")
    first = datetime.fromisoformat(_followed(boss, ticket["id"])["respond_by"])
    saved = ok(boss.put("/v1/sla/policies/complaints", json=_complaints_policy(2 * RESPOND_S)))
    assert saved["recompute_scheduled"] >= 1
    try:
        moved = wait_for(
            lambda: (
                (at := datetime.fromisoformat(_sla(boss, ticket["id"])["respond_by"])) != first
                and at
            )
        )
        assert moved - first == timedelta(seconds=RESPOND_S)  # business time, from the history
    finally:
        ok(boss.put("/v1/sla/policies/complaints", json=_complaints_policy(RESPOND_S)))


def test_a_claim_race_between_two_technicians_has_one_winner(day: Day) -> None:
    ticket = raise_ticket(day.login("tenant1"), category="doors_windows",
                          title="单元门关不上 / the entrance door will not close")  # fmt: skip
    techs = {name: day.login(name) for name in ("tech1", "tech2")}

    def offered() -> bool:
        return all(
            any(o["ticket_id"] == ticket["id"] for o in ok(c.get("/v1/dispatch/offers"))["items"])
            for c in techs.values()
        )

    wait_for(offered)
    replies: dict[str, httpx.Response] = {}
    start = threading.Barrier(len(techs))

    def claim(name: str) -> None:
        start.wait()
        replies[name] = techs[name].post(f"/v1/dispatch/offers/{ticket['id']}/claim")

    threads = [threading.Thread(target=claim, args=(name,)) for name in techs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    codes = sorted(reply.status_code for reply in replies.values())
    assert codes == [200, 409], {n: r.text for n, r in replies.items()}
    winner = next(name for name, reply in replies.items() if reply.status_code == 200)
    assert ok(techs[winner].get(f"/v1/tickets/{ticket['id']}"))["assignee"] == winner
    types = event_types(day.login("dispatcher1"), ticket["id"])
    assert types.count("claimed") == 1 and "assigned" not in types, types


def test_a_channel_that_fails_three_times_delivers_once(day: Day) -> None:
    """tenant2's webhook answers 500 three times; the one message of a complaint (only the
    service desk is paged) is retried with back-off and arrives once."""
    day.webhook.fail_first["/tenant2"] = 3
    ticket = raise_ticket(day.login("tenant2"), kind="complaint", category="noise",
                          title="Dog barking all night", description="Unit B-602, every night",
                          location={"site": "demo", "building": "B", "floor": "5",
                                    "unit": "B-502"})  # fmt: skip
    boss = day.login("supervisor1")

    def delivered() -> dict[str, Any] | None:
        rows = ok(boss.get("/v1/notifications/deliveries",
                           params={"ticket_id": ticket["id"], "recipient": "tenant2"}))["items"]  # fmt: skip
        return rows[0] if len(rows) == 1 and rows[0]["state"] == "sent" else None

    delivery = wait_for(delivered, timeout_s=30)
    assert (delivery["kind"], delivery["attempts"]) == ("received", 4)
    time.sleep(0.5)  # a second copy would arrive now
    assert len(day.webhook.got("/tenant2", ticket["number"], status=500)) == 3
    assert len(day.webhook.got("/tenant2", ticket["number"])) == 1
