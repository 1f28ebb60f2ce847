"""Bearer tokens: issued at `POST /v1/auth/token`, checked on every other `/v1` call."""

from __future__ import annotations

import time
from dataclasses import dataclass

import jwt
from fastapi import HTTPException
from fastapi.security import OAuth2PasswordBearer

__all__ = ["ROLES", "Principal", "TokenIssuer", "bearer_token"]

ROLES = ("tenant", "technician", "dispatcher", "supervisor", "planner", "admin")
_ALGORITHM = "HS256"
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

    def __init__(self, secret: str, ttl_s: int, cache_size: int = 4096) -> None:
        self._secret = secret
        self.ttl_s = ttl_s
        # token -> (principal, expiry): a token seen before is not decoded and verified again.
        self._checked: dict[str, tuple[Principal, int]] = {}
        self._cache_size = cache_size

    def issue(self, who: Principal) -> str:
        now = int(time.time())
        claims = {"sub": who.username, "role": who.role, "site": who.site, "unit": who.unit,
                  "iat": now, "exp": now + self.ttl_s}  # fmt: skip
        return jwt.encode(claims, self._secret, algorithm=_ALGORITHM)

    def check(self, token: str | None) -> Principal:
        """The principal in a valid token; HTTP 401 for a missing, forged, expired or malformed one."""
        if not token:
            raise HTTPException(
                401, "sign in first: send Authorization: Bearer <token>", _CHALLENGE
            )
        known = self._checked.get(token)
        if known is not None and known[1] > time.time():
            return known[0]
        who, expires = self._verify(token)
        if len(self._checked) >= self._cache_size:
            self._checked.clear()
        self._checked[token] = (who, expires)
        return who

    def _verify(self, token: str) -> tuple[Principal, int]:
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
        who = Principal(str(claims["sub"]), str(role), str(claims.get("site", "")),
                        str(claims.get("unit", "")))  # fmt: skip
        return who, int(claims["exp"])


#: The bearer token of a request, or None; declares the OAuth2 scheme in the OpenAPI schema.
bearer_token = OAuth2PasswordBearer(tokenUrl="/v1/auth/token", auto_error=False)
