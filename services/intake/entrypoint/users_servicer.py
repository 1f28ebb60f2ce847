"""UserService over gRPC: translate, call the user handlers, translate back."""

from __future__ import annotations

from typing import Any

import grpc
from maintenance.intake.v1 import intake_pb2
from maintenance.intake.v1 import places_pb2 as places_pb
from maintenance.intake.v1 import users_pb2 as pb
from maintenance.intake.v1 import users_pb2_grpc as pb_grpc

from services.common.protoenum import code_of, number_of
from services.intake.domain.errors import InvalidInput
from services.intake.domain.model import Role
from services.intake.domain.places import PlaceKey
from services.intake.domain.users import User
from services.intake.entrypoint.messages import actor_from_pb, timestamp
from services.intake.entrypoint.servicer import rpc
from services.intake.handlers.users import UserHandlers

__all__ = ["UserServicer"]

Context = grpc.aio.ServicerContext[Any, Any]


def _user_from_pb(u: pb.UserAccount, password: str) -> User:
    role = code_of(intake_pb2.Role, "ROLE_", u.role)
    if not role:
        raise InvalidInput("role is missing or unknown")
    return User(
        username=u.username, role=Role(role), display_name=u.display_name,
        locale=u.locale or "zh-CN", sites=tuple(u.sites),
        units=tuple(PlaceKey(k.site, k.building, k.floor, k.unit) for k in u.units),
        email=u.email, phone=u.phone, disabled=u.disabled, password=password or None,
    )  # fmt: skip


def _user_to_pb(u: User) -> pb.UserAccount:
    message = pb.UserAccount(
        username=u.username, role=number_of(intake_pb2.Role, "ROLE_", u.role.value),  # type: ignore[arg-type]
        display_name=u.display_name, locale=u.locale, sites=list(u.sites),
        units=[places_pb.PlaceKey(site=k.site, building=k.building, floor=k.floor, unit=k.unit)
               for k in u.units],
        email=u.email, phone=u.phone, disabled=u.disabled,
    )  # fmt: skip
    if u.created_at is not None and u.updated_at is not None:
        message.created_at.CopyFrom(timestamp(u.created_at))
        message.updated_at.CopyFrom(timestamp(u.updated_at))
    return message


class UserServicer(pb_grpc.UserServiceServicer):
    def __init__(self, handlers: UserHandlers) -> None:
        self._h = handlers

    @rpc
    async def PutUser(self, request: pb.PutUserRequest, context: Context) -> pb.PutUserResponse:
        user, created = await self._h.put(
            actor_from_pb(request.actor), _user_from_pb(request.user, request.password)
        )
        return pb.PutUserResponse(user=_user_to_pb(user), created=created)

    @rpc
    async def GetUser(self, request: pb.GetUserRequest, context: Context) -> pb.GetUserResponse:
        user = await self._h.get(actor_from_pb(request.actor), request.username)
        return pb.GetUserResponse(user=_user_to_pb(user))

    @rpc
    async def ListUsers(
        self, request: pb.ListUsersRequest, context: Context
    ) -> pb.ListUsersResponse:
        users, after = await self._h.page(
            actor_from_pb(request.actor), request.site, request.role, request.page_size,
            request.page_token,
        )  # fmt: skip
        return pb.ListUsersResponse(users=[_user_to_pb(u) for u in users], next_page_token=after)
