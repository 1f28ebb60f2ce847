"""The gateway's token secrets: none is no start outside development mode, and a key
rotation keeps the tokens of the previous secret valid until it is dropped."""

from __future__ import annotations

import jwt
import pytest
from fastapi import HTTPException
from pydantic import ValidationError

from services.gateway.entrypoint.security import Principal, TokenIssuer
from services.gateway.settings import DEV_JWT_SECRET, GatewaySettings, MissingSecret

OLD = "old-secret-0123456789-0123456789-0123456789"
NEW = "new-secret-0123456789-0123456789-0123456789"
WHO = Principal("tenant1", "tenant", "demo", "A-301")


def _settings(**values: object) -> GatewaySettings:
    return GatewaySettings.model_validate(values)


@pytest.mark.parametrize(
    ("values", "why"),
    [
        ({}, "GATEWAY_JWT_SECRET is not set"),
        ({"jwt_secret": DEV_JWT_SECRET}, "committed development secret"),
    ],
)
def test_no_real_secret_is_no_start_outside_development(values: dict[str, object],
                                                        why: str) -> None:  # fmt: skip
    with pytest.raises(MissingSecret, match=why):
        _settings(**values).jwt_secrets()


def test_development_mode_asked_for_uses_the_development_secret() -> None:
    assert _settings(dev_mode=True).jwt_secrets() == (DEV_JWT_SECRET,)
    assert _settings(dev_mode=True, jwt_secret=NEW).jwt_secrets() == (NEW,)


def test_a_short_secret_is_refused() -> None:
    with pytest.raises(ValidationError, match="at least 32"):
        _settings(jwt_secret="short")
    with pytest.raises(ValidationError, match="at least 32"):
        _settings(jwt_secret=NEW, jwt_previous_secret="short")


def test_a_rotation_accepts_both_keys_and_signs_with_the_new() -> None:
    before = TokenIssuer(_settings(jwt_secret=OLD).jwt_secrets(), 3600)
    during = TokenIssuer(_settings(jwt_secret=NEW, jwt_previous_secret=OLD).jwt_secrets(), 3600)
    after = TokenIssuer(_settings(jwt_secret=NEW).jwt_secrets(), 3600)
    old_token = before.issue(WHO)
    new_token = during.issue(WHO)
    assert during.check(old_token) == WHO and during.check(new_token) == WHO
    assert after.check(new_token) == WHO
    jwt.decode(new_token, NEW, algorithms=["HS256"])  # signed with the new secret
    with pytest.raises(HTTPException) as refused:
        after.check(old_token)
    assert refused.value.status_code == 401


def test_a_token_naming_an_unknown_key_is_not_valid() -> None:
    issuer = TokenIssuer((NEW, OLD), 3600)
    claims = {"sub": "admin", "role": "admin", "exp": 2**40}
    unknown = jwt.encode(claims, NEW, algorithm="HS256", headers={"kid": "someone-else"})
    with pytest.raises(HTTPException) as refused:
        issuer.check(unknown)
    assert refused.value.status_code == 401
    # A token from before key ids is checked with every key still accepted.
    assert issuer.check(jwt.encode(claims, OLD, algorithm="HS256")).username == "admin"
    with pytest.raises(HTTPException):
        issuer.check(jwt.encode(claims, "x" * 40, algorithm="HS256"))
