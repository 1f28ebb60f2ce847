"""The `/v1/notifications` router against a recording stand-in for the notification stub:
who may call what, what is sent to the service, and what comes back."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import grpc
import httpx
import pytest
import pytest_asyncio
from fastapi import FastAPI
from google.protobuf.timestamp_pb2 import Timestamp
from maintenance.notification.v1 import notification_pb2 as pb

from services.gateway.entrypoint import deps, notification_routes
from services.gateway.entrypoint.problems import install_problem_handlers
from services.gateway.entrypoint.security import Principal
from tests.unit.fake_call import fake_call

AT = datetime(2031, 1, 1, 8, 0, tzinfo=UTC)


def _stamp() -> Timestamp:
    stamp = Timestamp()
    stamp.FromDatetime(AT)
    return stamp


class FakeNotifications:
    """Answers like the notification service and keeps every request."""

    def __init__(self) -> None:
        self.requests: list[Any] = []
        self.fail: grpc.StatusCode | None = None

    def _take(self, request: Any) -> None:
        self.requests.append(request)
        if self.fail is not None:
            raise grpc.aio.AioRpcError(
                self.fail, grpc.aio.Metadata(), grpc.aio.Metadata(), "no", None
            )

    async def ListInbox(  # noqa: N802
        self, request: pb.ListInboxRequest, **_: Any
    ) -> pb.ListInboxResponse:
        self._take(request)
        item = pb.Notification(id=3, username=request.username, ticket_id="t-1",
                               ticket_number="T1", event_type="created", kind="received",
                               title="已收到", body="正文", locale="zh-CN", created_at=_stamp())  # fmt: skip
        return pb.ListInboxResponse(notifications=[item], next_page_token="3", unread_count=1)

    async def MarkRead(  # noqa: N802
        self, request: pb.MarkReadRequest, **_: Any
    ) -> pb.MarkReadResponse:
        self._take(request)
        return pb.MarkReadResponse(marked=len(request.ids) or 7)

    async def ListDeliveries(  # noqa: N802
        self, request: pb.ListDeliveriesRequest, **_: Any
    ) -> pb.ListDeliveriesResponse:
        self._take(request)
        row = pb.Delivery(id=9, dedupe_key="1:tenant1:abc", event_id=1, ticket_id="t-1",
                          event_type="created", kind="received", recipient="tenant1",
                          channel="json://h/...", state=pb.DELIVERY_STATE_DEAD, attempts=5,
                          last_error="boom", title="x", created_at=_stamp())  # fmt: skip
        return pb.ListDeliveriesResponse(deliveries=[row])

    async def GetContact(  # noqa: N802
        self, request: pb.GetContactRequest, **_: Any
    ) -> pb.GetContactResponse:
        self._take(request)
        return pb.GetContactResponse(
            contact=pb.Contact(username=request.username, locale="en", in_app=True), stored=False
        )

    async def PutContact(  # noqa: N802
        self, request: pb.PutContactRequest, **_: Any
    ) -> pb.PutContactResponse:
        self._take(request)
        contact = pb.Contact()
        contact.CopyFrom(request.contact)
        contact.updated_at.CopyFrom(_stamp())
        return pb.PutContactResponse(contact=contact, created=True)


@pytest.fixture
def stub() -> FakeNotifications:
    return FakeNotifications()


@pytest_asyncio.fixture
async def as_role(stub: FakeNotifications) -> AsyncIterator[Any]:
    app = FastAPI()
    install_problem_handlers(app)
    app.include_router(notification_routes.router)
    who = {"user": Principal("tenant1", "tenant", "demo", "A-301")}
    app.dependency_overrides[deps._caller] = lambda: fake_call(who["user"], notifications=stub)

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as http:

        async def call(
            username: str, role: str, method: str, url: str, body: Any = None, site: str = "demo"
        ) -> httpx.Response:
            who["user"] = Principal(username, role, site, "")
            return await http.request(method, url, json=body)

        yield call


async def test_the_inbox_is_the_callers_own(as_role: Any, stub: FakeNotifications) -> None:
    reply = await as_role(
        "tenant1", "tenant", "GET", "/v1/notifications?unread=true&limit=5&cursor=9"
    )
    assert reply.status_code == 200, reply.text
    body = reply.json()
    assert body["next_cursor"] == "3" and body["unread_count"] == 1
    item = body["items"][0]
    assert (item["id"], item["ticket_id"], item["read_at"]) == (3, "t-1", None)
    assert item["created_at"].startswith("2031-01-01T08:00:00")
    sent = stub.requests[-1]
    assert (sent.username, sent.unread_only, sent.page_size, sent.page_token) == (
        "tenant1", True, 5, "9",
    )  # fmt: skip


async def test_mark_read_takes_ids_or_all(as_role: Any, stub: FakeNotifications) -> None:
    url = "/v1/notifications/read"
    reply = await as_role("tech1", "technician", "POST", url, {"ids": [1, 2]})
    assert reply.json() == {"marked": 2}
    assert list(stub.requests[-1].ids) == [1, 2] and stub.requests[-1].username == "tech1"
    assert (await as_role("tech1", "technician", "POST", url, {"all": True})).json() == {
        "marked": 7
    }
    assert stub.requests[-1].all
    assert (await as_role("tech1", "technician", "POST", url, {})).status_code == 422
    assert (await as_role("tech1", "technician", "POST", url, {"ids": ["x"]})).status_code == 422


@pytest.mark.parametrize(("role", "code"), [("supervisor", 200), ("admin", 200),
                                            ("tenant", 403), ("technician", 403)])  # fmt: skip
async def test_deliveries_are_for_supervisors_and_admins(
    as_role: Any, role: str, code: int
) -> None:
    url = "/v1/notifications/deliveries?ticket_id=t-1&state=dead"
    reply = await as_role("someone", role, "GET", url)
    assert reply.status_code == code, reply.text
    if code == 200:
        row = reply.json()["items"][0]
        assert (row["state"], row["attempts"], row["last_error"]) == ("dead", 5, "boom")
        assert row["next_attempt_at"] is None


async def test_delivery_filters_reach_the_service(as_role: Any, stub: FakeNotifications) -> None:
    url = "/v1/notifications/deliveries?state=pending&recipient=tenant1"
    await as_role("admin", "admin", "GET", url)
    sent = stub.requests[-1]
    assert (sent.state, sent.recipient, sent.ticket_id) == (
        pb.DELIVERY_STATE_PENDING,
        "tenant1",
        "",
    )
    bad = await as_role("admin", "admin", "GET", "/v1/notifications/deliveries?state=x")
    assert bad.status_code == 422


async def test_shared_inboxes_and_deliveries_are_limited_to_the_callers_site(
    as_role: Any, stub: FakeNotifications
) -> None:
    await as_role("supervisor1", "supervisor", "GET", "/v1/notifications")
    assert (list(stub.requests[-1].groups), stub.requests[-1].site) == (["role:supervisor"], "demo")
    await as_role("supervisor1", "supervisor", "POST", "/v1/notifications/read", {"all": True})
    assert (list(stub.requests[-1].groups), stub.requests[-1].site) == (["role:supervisor"], "demo")
    await as_role("admin", "admin", "GET", "/v1/notifications")
    assert (list(stub.requests[-1].groups), stub.requests[-1].site) == (["role:admin"], "")
    await as_role("nobody", "dispatcher", "GET", "/v1/notifications", site="")
    assert (list(stub.requests[-1].groups), stub.requests[-1].site) == ([], "")
    url = "/v1/notifications/deliveries"
    await as_role("supervisor1", "supervisor", "GET", url)
    assert stub.requests[-1].site == "demo"
    await as_role("admin", "admin", "GET", url + "?site=north")
    assert stub.requests[-1].site == "north"
    assert (
        await as_role("supervisor1", "supervisor", "GET", url + "?site=north")
    ).status_code == 403
    assert (await as_role("s2", "supervisor", "GET", url, site="")).status_code == 403


async def test_contacts_own_or_admin(as_role: Any, stub: FakeNotifications) -> None:
    url = "/v1/notifications/contacts/"
    mine = await as_role("tenant2", "tenant", "GET", url + "me")
    assert mine.status_code == 200 and mine.json()["username"] == "tenant2"
    assert mine.json()["stored"] is False
    assert (await as_role("tenant2", "tenant", "GET", url + "tenant2")).status_code == 200
    assert (await as_role("tenant2", "tenant", "GET", url + "tenant1")).status_code == 404
    assert (await as_role("admin", "admin", "GET", url + "tenant1")).status_code == 200
    assert stub.requests[-1].username == "tenant1"


async def test_only_admins_set_contacts(as_role: Any, stub: FakeNotifications) -> None:
    body = {"locale": "en", "apprise_urls": ["json://127.0.0.1:9/x"], "in_app": False}
    url = "/v1/notifications/contacts/"
    refused = await as_role("tenant1", "tenant", "PUT", url + "tenant1", body)
    assert refused.status_code == 403
    assert refused.headers["content-type"].startswith("application/problem+json")
    made = await as_role("admin", "admin", "PUT", url + "tech2", body)
    assert made.status_code == 201, made.text
    assert made.json()["apprise_urls"] == ["json://127.0.0.1:9/x"] and made.json()["stored"]
    contact = stub.requests[-1].contact
    assert (contact.username, contact.locale, contact.in_app) == ("tech2", "en", False)
    bad = await as_role("admin", "admin", "PUT", url + "tech2", {"locale": "fr"})
    assert bad.status_code == 422


async def test_service_errors_become_problems(as_role: Any, stub: FakeNotifications) -> None:
    stub.fail = grpc.StatusCode.INVALID_ARGUMENT
    reply = await as_role("admin", "admin", "PUT", "/v1/notifications/contacts/tech2", {})
    assert reply.status_code == 422 and reply.json()["detail"] == "no"
    stub.fail = grpc.StatusCode.UNAVAILABLE
    assert (await as_role("tenant1", "tenant", "GET", "/v1/notifications")).status_code == 503
