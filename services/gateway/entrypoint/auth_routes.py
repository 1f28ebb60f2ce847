"""`POST /v1/auth/token`: the OAuth2 password flow, with failed sign-ins limited per
username and per address (`login_limits.py`): 429 with `Retry-After` past the limit."""

from __future__ import annotations

from typing import Annotated

import grpc
from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.security import OAuth2PasswordRequestForm
from maintenance.intake.v1 import intake_pb2 as pb

from services.common.protoenum import code_of
from services.gateway.entrypoint.deps import Intake
from services.gateway.entrypoint.login_limits import LoginLimits
from services.gateway.entrypoint.schemas import TokenOut
from services.gateway.entrypoint.security import Principal, TokenIssuer

__all__ = ["router"]

router = APIRouter(prefix="/v1/auth", tags=["auth"])


@router.post(
    "/token", response_model=TokenOut, summary="Exchange username and password for a token"
)
async def issue_token(
    request: Request, form: Annotated[OAuth2PasswordRequestForm, Depends()], intake: Intake
) -> TokenOut:
    username = form.username[:64]
    address = request.client.host if request.client else ""
    limits: LoginLimits = request.app.state.login_limits
    wait_s = limits.wait_s(username, address)
    if wait_s:
        raise HTTPException(
            429, f"too many failed sign-ins: try again in {wait_s} s",
            headers={"Retry-After": str(wait_s)},
        )  # fmt: skip
    try:
        reply = await intake.VerifyCredentials(
            pb.VerifyCredentialsRequest(username=username, password=form.password[:256]),
            timeout=request.app.state.rpc_timeout_s,
        )
    except grpc.aio.AioRpcError as exc:
        if exc.code() == grpc.StatusCode.UNAUTHENTICATED:
            limits.failed(username, address)
        raise
    limits.succeeded(username)
    user = reply.user
    who = Principal(user.username, code_of(pb.Role, "ROLE_", user.role), user.site, user.unit)
    tokens: TokenIssuer = request.app.state.tokens
    return TokenOut(access_token=tokens.issue(who), expires_in=tokens.ttl_s, role=who.role)
