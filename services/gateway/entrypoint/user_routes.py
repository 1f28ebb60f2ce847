"""`/v1/users`: people as data. Admins register and change them (a user is disabled, never
deleted); supervisors and dispatchers read their site's; everyone reads themselves."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Response, status
from maintenance.intake.v1 import intake_pb2
from maintenance.intake.v1 import places_pb2 as places_pb
from maintenance.intake.v1 import users_pb2 as pb
from pydantic import BaseModel, ConfigDict, Field

from services.common.protoenum import code_of, number_of
from services.gateway.entrypoint.deps import Caller

__all__ = ["router"]

router = APIRouter(prefix="/v1/users", tags=["users"])

Username = Annotated[str, Path(min_length=2, max_length=64, examples=["tenant3"])]
RoleName = Literal["tenant", "technician", "dispatcher", "supervisor", "planner", "admin"]


class UnitRef(BaseModel):
    model_config = ConfigDict(extra="forbid")
    site: str = Field(min_length=1, max_length=64)
    building: str = Field(min_length=1, max_length=64)
    floor: str = Field(min_length=1, max_length=64)
    unit: str = Field(min_length=1, max_length=64)


class UserIn(BaseModel):
    """A tenant lives in `units`; a staff member works at `sites`. `password` sets or resets
    the password (at least 8 characters); left out, the password stays as it is."""

    model_config = ConfigDict(extra="forbid")
    role: RoleName
    display_name: str = Field(default="", max_length=200)
    locale: Literal["zh-CN", "en"] = "zh-CN"
    sites: list[str] = Field(default_factory=list, max_length=50)
    units: list[UnitRef] = Field(default_factory=list, max_length=50)
    email: str = Field(default="", max_length=200)
    phone: str = Field(default="", max_length=40)
    password: str | None = Field(default=None, max_length=200)
    disabled: bool = False


class UserOut(BaseModel):
    username: str
    role: str
    display_name: str
    locale: str
    sites: list[str]
    units: list[UnitRef]
    email: str
    phone: str
    disabled: bool
    created_at: datetime | None
    updated_at: datetime | None


class UserList(BaseModel):
    items: list[UserOut]
    next_cursor: str | None


def _out(u: pb.UserAccount) -> UserOut:
    return UserOut(
        username=u.username, role=code_of(intake_pb2.Role, "ROLE_", u.role),
        display_name=u.display_name, locale=u.locale, sites=list(u.sites),
        units=[UnitRef(site=k.site, building=k.building, floor=k.floor, unit=k.unit) for k in u.units],
        email=u.email, phone=u.phone, disabled=u.disabled,
        created_at=u.created_at.ToDatetime(tzinfo=UTC) if u.HasField("created_at") else None,
        updated_at=u.updated_at.ToDatetime(tzinfo=UTC) if u.HasField("updated_at") else None,
    )  # fmt: skip


@router.put("/{username}", response_model=UserOut, summary="Register or change a user (admins)")
async def put_user(username: Username, body: UserIn, caller: Caller, response: Response) -> UserOut:
    """201 when the user is new, 200 when it was changed."""
    reply = await caller.users.PutUser(
        pb.PutUserRequest(
            actor=caller.actor(), password=body.password or "",
            user=pb.UserAccount(
                username=username, role=number_of(intake_pb2.Role, "ROLE_", body.role),  # type: ignore[arg-type]
                display_name=body.display_name, locale=body.locale, sites=body.sites,
                units=[places_pb.PlaceKey(site=u.site, building=u.building, floor=u.floor, unit=u.unit)
                       for u in body.units],
                email=body.email, phone=body.phone, disabled=body.disabled,
            ),
        ),
        **caller.opts,
    )  # fmt: skip
    response.status_code = status.HTTP_201_CREATED if reply.created else status.HTTP_200_OK
    return _out(reply.user)


@router.get("", response_model=UserList, summary="List users")
async def list_users(
    caller: Caller,
    site: Annotated[str, Query(max_length=64)] = "",
    role: Annotated[RoleName | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    cursor: Annotated[str, Query(max_length=64)] = "",
) -> UserList:
    reply = await caller.users.ListUsers(
        pb.ListUsersRequest(actor=caller.actor(), site=site, role=role or "", page_size=limit,
                            page_token=cursor),
        **caller.opts,
    )  # fmt: skip
    return UserList(items=[_out(u) for u in reply.users], next_cursor=reply.next_page_token or None)


@router.get("/{username}", response_model=UserOut, summary="A user")
async def get_user(username: Username, caller: Caller) -> UserOut:
    reply = await caller.users.GetUser(
        pb.GetUserRequest(actor=caller.actor(), username=username), **caller.opts
    )
    return _out(reply.user)
