"""`POST /v1/auth/token`: the OAuth2 password flow."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.security import OAuth2PasswordRequestForm
from maintenance.intake.v1 import intake_pb2 as pb

from services.common.protoenum import code_of
from services.gateway.entrypoint.deps import Intake
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
    reply = await intake.VerifyCredentials(
        pb.VerifyCredentialsRequest(username=form.username[:64], password=form.password[:256]),
        timeout=request.app.state.rpc_timeout_s,
    )
    user = reply.user
    who = Principal(user.username, code_of(pb.Role, "ROLE_", user.role), user.site, user.unit)
    tokens: TokenIssuer = request.app.state.tokens
    return TokenOut(access_token=tokens.issue(who), expires_in=tokens.ttl_s, role=who.role)
