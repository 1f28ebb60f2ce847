"""Bearer tokens: issued at `POST /v1/auth/token`, checked on every other `/v1` call."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

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


def _key_id(secret: str) -> str:
    """A short name for a secret, in each token's header: which key to check it with."""
    return hashlib.sha256(secret.encode()).hexdigest()[:12]


class TokenIssuer:
    """Signs JWTs with the first of `secrets` and checks them with any (a key rotation
    keeps the previous secret valid until the tokens it signed expire)."""

    def __init__(self, secrets: Sequence[str], ttl_s: int, cache_size: int = 4096) -> None:
        if not secrets:
            raise ValueError("no secret to sign tokens with")
        self._secret = secrets[0]
        self._keys = {_key_id(secret): secret for secret in secrets}
        self.ttl_s = ttl_s
        # token -> (principal, expiry): a token seen before is not decoded and verified again.
        self._checked: dict[str, tuple[Principal, int]] = {}
        self._cache_size = cache_size

    def issue(self, who: Principal) -> str:
        now = int(time.time())
        claims = {"sub": who.username, "role": who.role, "site": who.site, "unit": who.unit,
                  "iat": now, "exp": now + self.ttl_s}  # fmt: skip
        return jwt.encode(claims, self._secret, algorithm=_ALGORITHM,
                          headers={"kid": _key_id(self._secret)})  # fmt: skip

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

    def _candidates(self, token: str) -> list[str]:
        """The secrets to check `token` with: the one its key id names (none when it names
        an unknown key); every one for a token from before key ids."""
        kid = jwt.get_unverified_header(token).get("kid")
        if kid is None:
            return list(self._keys.values())
        return [self._keys[kid]] if kid in self._keys else []

    def _decode(self, token: str) -> dict[str, Any]:
        candidates = self._candidates(token)
        for n, secret in enumerate(candidates, 1):
            try:
                claims: dict[str, Any] = jwt.decode(
                    token, secret, algorithms=[_ALGORITHM], options={"require": ["exp", "sub"]}
                )
                return claims
            except jwt.InvalidSignatureError:
                if n == len(candidates):
                    raise
        raise jwt.InvalidTokenError("the token names an unknown key")

    def _verify(self, token: str) -> tuple[Principal, int]:
        try:
            claims = self._decode(token)
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
