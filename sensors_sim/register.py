"""Register the fleet with the device API: `python -m sensors_sim register`.

Signs in with `POST {api}/v1/auth/token` (form fields username, password), then puts each
device with `PUT {api}/v1/devices/{device_id}`; putting a device again updates it, so
registering twice is harmless.
"""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import quote

import httpx

from sensors_sim.fleet import Device

__all__ = ["device_request", "register", "token_request"]


def token_request(api: str, username: str, password: str) -> httpx.Request:
    """The sign-in request."""
    return httpx.Request(
        "POST",
        f"{api.rstrip('/')}/v1/auth/token",
        data={"username": username, "password": password},
    )


def device_request(api: str, token: str, device: Device) -> httpx.Request:
    """The request that registers (or updates) one device."""
    return httpx.Request(
        "PUT",
        f"{api.rstrip('/')}/v1/devices/{quote(device.device_id, safe='')}",
        json=device.registration(),
        headers={"Authorization": f"Bearer {token}"},
    )


def register(
    api: str, fleet: Sequence[Device], username: str, password: str, client: httpx.Client
) -> int:
    """Register every device; returns how many. Raises httpx.HTTPStatusError on refusal."""
    reply = client.send(token_request(api, username, password))
    reply.raise_for_status()
    token = str(reply.json()["access_token"])
    for device in fleet:
        client.send(device_request(api, token, device)).raise_for_status()
    return len(fleet)
