"""Bearer tokens: issued at `POST /v1/auth/token`, checked on every other `/v1` call."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Annotated

import jwt
from fastapi import Depends, HTTPException, Request
from fastapi.security import OAuth2PasswordBearer

__all__ = ["ROLES", "CurrentUser", "Principal", "TokenIssuer", "require_roles"]

ROLES = ("tenant", "technician", "dispatcher", "supervisor", "planner", "admin")
_ALGORITHM = "HS256"
_BEARER = OAuth2PasswordBearer(tokenUrl="/v1/auth/token", auto_error=False)
_CHALLENGE = {"WWW-Authenticate": "Bearer"}


@dataclass(frozen=True, slots=True)
class Principal:
    """The authenticated caller, as the token says."""

    username: str
    role: str
    site: str
    unit: str


class TokenIssuer:
    """Signs and checks JWTs with one secret."""

    def __init__(self, secret: str, ttl_s: int) -> None:
        self._secret = secret
        self.ttl_s = ttl_s

    def issue(self, who: Principal) -> str:
        now = int(time.time())
        claims = {"sub": who.username, "role": who.role, "site": who.site, "unit": who.unit,
                  "iat": now, "exp": now + self.ttl_s}  # fmt: skip
        return jwt.encode(claims, self._secret, algorithm=_ALGORITHM)

    def check(self, token: str) -> Principal:
        """The principal in a valid token; HTTP 401 for a forged, expired or malformed one."""
        try:
            claims = jwt.decode(
                token, self._secret, algorithms=[_ALGORITHM], options={"require": ["exp", "sub"]}
            )
        except jwt.ExpiredSignatureError:
            raise HTTPException(401, "the token has expired; sign in again", _CHALLENGE) from None
        except jwt.PyJWTError:
            raise HTTPException(401, "the token is not valid", _CHALLENGE) from None
        role = claims.get("role")
        if role not in ROLES:
            raise HTTPException(401, "the token names no known role", _CHALLENGE)
        return Principal(str(claims["sub"]), str(role), str(claims.get("site", "")),
                         str(claims.get("unit", "")))  # fmt: skip


def _current_user(request: Request, token: Annotated[str | None, Depends(_BEARER)]) -> Principal:
    if not token:
        raise HTTPException(401, "sign in first: send Authorization: Bearer <token>", _CHALLENGE)
    issuer: TokenIssuer = request.app.state.tokens
    return issuer.check(token)


CurrentUser = Annotated[Principal, Depends(_current_user)]


def require_roles(*roles: str) -> object:
    """A dependency that lets only the given roles through (403 for the others)."""

    def check(user: CurrentUser) -> Principal:
        if user.role not in roles:
            raise HTTPException(403, f"a {user.role} may not do this")
        return user

    return Depends(check)
