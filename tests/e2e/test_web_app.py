"""The web application in a real browser against the running system: a tenant on a phone
reports a leak with a photo, watches it dispatched and worked without reloading, and rates
it; technicians race for a job in the claim pool; a supervisor reassigns from the queue; a
planner goes from the heat map to its tickets. Both languages, phone and desktop sizes, and
axe-core on every main screen."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, FilePayload, Locator, Page, Route, expect

from services.dispatch.demo import DEMO_RULES_FILE
from services.dispatch.demo import seed_demo as seed_dispatch
from services.dispatch.handlers.config import read_rules_file
from tests.e2e.browser import (
    DESKTOP,
    PHONE,
    accessibility_problems,
    chromium,
    open_app,
    photo,
    screenshot,
)
from tests.e2e.helpers import ok, raise_ticket, wait_for
from tests.e2e.system import BRISK, System, running_system

pytestmark = pytest.mark.e2e

expect.set_options(timeout=15_000)


def _rules_all_day() -> dict[str, Any]:
    """The demo's dispatch rules with the claim pool open at any hour, so the test does not
    depend on the time of day it runs at."""
    doc = read_rules_file(DEMO_RULES_FILE)
    for rule in doc["rules"]:
        rule["match"].pop("hours", None)
    return {"timezone": doc["timezone"], "rules": doc["rules"]}


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[System]:
    """The system with the demo's dispatch set-up, and a rating window long enough for a
    person to rate."""
    log = tmp_path_factory.mktemp("web") / "system.log"
    with running_system(log, INTAKE_RATING_WINDOW_S="3600", **BRISK) as system:
        seed_dispatch(system.database_url)
        with system.client(system.token("supervisor1")) as desk:
            ok(desk.put("/v1/dispatch/rules", json=_rules_all_day()))
        yield system


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as running:
        yield running


def _row(page: Page, ticket_id: str) -> Locator:
    return page.locator(f'[data-testid="ticket-row"][data-ticket-id="{ticket_id}"]')


def _all_counted(desk: httpx.Client) -> bool:
    """Analytics has counted every ticket of the site in its heat map."""
    cells: list[dict[str, Any]] = ok(desk.get("/v1/analytics/heatmap"))["cells"]
    tickets: list[dict[str, Any]] = ok(desk.get("/v1/tickets", params={"limit": 200}))["items"]
    return sum(int(cell["count"]) for cell in cells) == len(tickets)


def test_sign_in_speaks_the_chosen_language_and_says_what_went_wrong(
    site: System, browser: Browser
) -> None:
    page = browser.new_context(viewport=PHONE, locale="en-GB", base_url=site.base_url).new_page()
    page.goto("/app/")
    submit = page.get_by_test_id("login-submit")
    expect(submit).to_have_text("Sign in")  # the browser's language
    page.get_by_test_id("lang-switch").select_option("zh")
    expect(submit).to_have_text("登录")
    page.get_by_test_id("login-username").fill("tenant1")
    page.get_by_test_id("login-password").fill("not the password")
    submit.click()
    expect(page.locator("#notice")).to_have_text("未能登录：unknown user or wrong password")
    screenshot(page, "sign-in")
    assert accessibility_problems(page) == []
    page.reload()
    expect(submit).to_have_text("登录")  # remembered
    page.context.close()


def test_a_tenant_reports_a_leak_with_a_photo_and_rates_the_repair(
    site: System, browser: Browser
) -> None:
    tenant = open_app(browser, site.base_url, "tenant1", "zh", PHONE)
    expect(tenant.get_by_test_id("ticket-list")).to_be_attached()
    tenant.get_by_test_id("new-ticket").click()
    tenant.get_by_test_id("ticket-title").fill("卫生间地漏冒水")
    tenant.get_by_test_id("ticket-description").fill("地漏一直往外冒水，已经流到走廊")
    tenant.get_by_test_id("ticket-photos").set_input_files(photo())
    screenshot(tenant, "tenant-report")
    assert accessibility_problems(tenant) == []
    tenant.get_by_test_id("ticket-submit").click()

    status = tenant.get_by_test_id("ticket-status")
    expect(status).to_have_attribute("data-status", "assigned")  # dispatch chose tech1
    expect(status).to_have_text("已派单")
    expect(tenant.locator(".photos img")).to_have_attribute("src", re.compile("^blob:"))
    ticket_id = tenant.url.rsplit("/", 1)[-1]

    tech = open_app(browser, site.base_url, "tech1", "en", PHONE)
    screenshot(tech, "technician-jobs")
    assert accessibility_problems(tech) == []
    _row(tech, ticket_id).get_by_role("link").click()
    tech.get_by_test_id("act-start").click()
    expect(tech.get_by_test_id("ticket-status")).to_have_text("In progress")
    tech.get_by_test_id("resolve-note").fill("Replaced the floor drain seal")
    screenshot(tech, "technician-job")
    assert accessibility_problems(tech) == []
    tech.get_by_test_id("act-resolve").click()
    expect(tech.get_by_test_id("ticket-status")).to_have_attribute("data-status", "awaiting_rating")

    # The tenant's page follows without a reload.
    expect(status).to_have_attribute("data-status", "awaiting_rating")
    expect(tenant.get_by_test_id("ticket-timeline")).to_contain_text(
        "Replaced the floor drain seal"
    )
    tenant.get_by_test_id("rate-5").check()
    tenant.get_by_test_id("rate-comment").fill("师傅很快，谢谢")
    screenshot(tenant, "tenant-timeline")
    assert accessibility_problems(tenant) == []
    tenant.get_by_test_id("rate-submit").click()
    expect(status).to_have_attribute("data-status", "closed")
    expect(tenant.locator(".rating")).to_contain_text("师傅很快，谢谢")

    tenant.get_by_test_id("lang-switch").select_option("en")
    expect(tenant.get_by_test_id("ticket-status")).to_have_text("Closed")
    tenant.get_by_test_id("nav-tickets").click()
    expect(_row(tenant, ticket_id).get_by_test_id("ticket-status")).to_have_text("Closed")
    screenshot(tenant, "tenant-tickets")
    tenant.get_by_test_id("nav-inbox").click()
    expect(tenant.locator(".inbox li").first).to_be_visible()
    assert accessibility_problems(tenant) == []


def test_an_inquiry_the_knowledge_base_answers_needs_no_ticket(
    site: System, browser: Browser
) -> None:
    tenant = open_app(browser, site.base_url, "tenant1", "en", PHONE)
    tenant.get_by_test_id("new-ticket").click()
    tenant.get_by_label("What is it?").select_option("inquiry")
    tenant.get_by_test_id("ticket-title").fill("how do I pay the management fee")
    fee = tenant.locator('[data-testid="kb-suggestions"] [data-article-id="fee-payment"]')
    fee.locator("summary").click()
    expect(fee.locator(".article h4")).to_have_text("Paying the property management fee")
    screenshot(tenant, "tenant-answer")
    assert accessibility_problems(tenant) == []
    fee.get_by_test_id("kb-answered").click()
    expect(tenant.locator("#notice")).to_have_text("Glad it helped. No ticket was raised.")
    expect(tenant.get_by_test_id("ticket-row").filter(has_text="management fee")).to_have_count(0)


def test_the_claim_pool_tells_the_slower_technician_kindly(site: System, browser: Browser) -> None:
    with site.client(site.token("tenant1")) as client:
        ticket = raise_ticket(client, category="doors_windows", title="阳台门关不上 / balcony door")
    faster = open_app(browser, site.base_url, "tech1", "en", PHONE)
    slower = open_app(browser, site.base_url, "tech2", "zh", PHONE)
    offer = f'[data-testid="claim-pool"] [data-ticket-id="{ticket["id"]}"]'
    for page in (faster, slower):
        expect(page.locator(offer)).to_be_visible()
    screenshot(slower, "technician-claim-pool")

    # The slower one's screen has not refreshed yet: its pool still shows the offer.
    def hold(route: Route) -> None:
        """Leave the request unanswered."""

    slower.route("**/v1/dispatch/offers", hold)
    faster.locator(offer).get_by_test_id("claim").click()
    expect(faster.locator("#notice")).to_contain_text("It is yours")
    expect(_row(faster, ticket["id"])).to_be_visible()
    slower.locator(offer).get_by_test_id("claim").click()
    expect(slower.locator("#notice")).to_have_text(re.compile("已被其他师傅抢到"))


def test_a_supervisor_filters_the_queue_and_reassigns(site: System, browser: Browser) -> None:
    with site.client(site.token("tenant1")) as client:
        ticket = raise_ticket(client, title="厨房水龙头漏水 / kitchen tap drips")
        raise_ticket(client, category="cleaning", title="楼道有垃圾 / litter on the stairs")
    desk = open_app(browser, site.base_url, "supervisor1", "en", DESKTOP)
    litter = desk.get_by_test_id("ticket-row").filter(has_text="litter")
    expect(litter).to_have_count(1)
    desk.get_by_label("Category").select_option("plumbing")
    expect(litter).to_have_count(0)
    row = _row(desk, ticket["id"])
    expect(row.get_by_test_id("ticket-status")).to_have_text("Dispatched")
    screenshot(desk, "supervisor-queue")
    assert accessibility_problems(desk) == []
    row.get_by_role("link").click()
    desk.get_by_test_id("assignee").select_option("tech2")
    desk.get_by_test_id("act-assign").click()
    expect(desk.locator(".facts")).to_contain_text("tech2")
    with site.client(site.token("supervisor1")) as client:
        assert ok(client.get(f"/v1/tickets/{ticket['id']}"))["assignee"] == "tech2"


def test_a_planner_goes_from_the_heat_map_to_its_tickets(site: System, browser: Browser) -> None:
    with site.client(site.token("tenant1")) as client:
        raise_ticket(client, title="走廊灯不亮 / corridor light out", category="electrical")
    with site.client(site.token("supervisor1")) as desk:
        wait_for(lambda: _all_counted(desk))
    planner = open_app(browser, site.base_url, "planner1", "zh", DESKTOP)
    expect(planner.get_by_test_id("kpi-cards")).to_be_visible()
    expect(planner.locator(".chart canvas")).to_have_count(2)  # ECharts, loaded on this view
    expect(planner.locator("[data-testid=hotspots], .empty").first).to_be_visible()
    screenshot(planner, "planner")
    assert accessibility_problems(planner) == []
    cell = planner.get_by_test_id("heatmap-table").get_by_role("row").filter(has_text="A")
    count = int(cell.first.get_by_role("link").inner_text())
    cell.first.get_by_role("link").click()
    expect(planner.get_by_test_id("ticket-row")).to_have_count(count)
    screenshot(planner, "planner-drill-down")


def test_an_admin_sees_sensors_and_people_and_checks_an_import(
    site: System, browser: Browser
) -> None:
    with site.client(site.token("admin")) as client:
        sensor = {"kind": "leak", "location": {"site": "demo", "building": "A", "floor": "3"}}
        ok(client.put("/v1/devices/leak-A-03-web", json=sensor))
    admin = open_app(browser, site.base_url, "admin", "zh", DESKTOP)
    admin.get_by_test_id("nav-devices").click()
    expect(admin.locator('[data-device-id="leak-A-03-web"]')).to_contain_text("漏水")
    assert accessibility_problems(admin) == []
    admin.get_by_test_id("nav-people").click()
    expect(admin.get_by_test_id("people-table")).to_contain_text("tenant1")

    admin.get_by_test_id("nav-import").click()
    admin.get_by_label("文件内容").select_option("places")
    places = "site,building,floor,unit\ndemo,C,1,C-101\ndemo,,2,\n"
    admin.get_by_test_id("import-file").set_input_files(
        FilePayload(name="places.csv", mimeType="text/csv", buffer=places.encode())
    )
    admin.get_by_test_id("import-submit").click()
    expect(admin.get_by_test_id("import-problems")).to_contain_text("building")
    expect(admin.get_by_test_id("import-counts")).to_contain_text("拒绝 1")
    screenshot(admin, "admin-import")
    assert accessibility_problems(admin) == []
