"""Delivery rules: exponential backoff between attempts, dead after the last one, what a
contact may hold, and the delivery id a webhook receives."""

from __future__ import annotations

from dataclasses import dataclass

from services.notification.domain.errors import InvalidInput
from services.notification.domain.model import Contact
from services.notification.domain.templates import LOCALES, match_locale

__all__ = ["DELIVERY_ID_HEADER", "MAX_URLS", "RetryPolicy", "check_contact", "with_delivery_id"]

#: At most this many apprise URLs per contact.
MAX_URLS = 10
_MAX_URL = 2000
_MAX_USERNAME = 64
#: The header that carries a delivery's id to HTTP webhooks: delivery is at least once (a
#: worker that dies between sending and recording sends again), and every attempt of one
#: delivery carries the same id, so a receiver can drop what it has seen.
DELIVERY_ID_HEADER = "X-Delivery-Id"
#: apprise's HTTP webhook schemes, whose URLs take extra headers as `+Name=value`.
_WEBHOOK_SCHEMES = frozenset({"json", "jsons", "form", "forms", "xml", "xmls"})


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Attempt n (1-based) that fails waits `base_s * 2**(n-1)`, at most `cap_s`, before the
    next; the failure of attempt `max_attempts` makes the delivery dead."""

    max_attempts: int = 5
    base_s: float = 5.0
    cap_s: float = 1800.0

    def __post_init__(self) -> None:
        if self.max_attempts < 1 or self.base_s < 0 or self.cap_s < self.base_s:
            raise ValueError(f"unusable retry policy {self}")

    def delay_after(self, attempts: int) -> float | None:
        """Seconds to wait after `attempts` failed attempts, or None when that was the last."""
        if attempts >= self.max_attempts:
            return None
        return float(min(self.cap_s, self.base_s * 2 ** max(0, attempts - 1)))


def check_contact(contact: Contact) -> Contact:
    """The contact with its locale normalised; InvalidInput when it cannot be stored."""
    if not 1 <= len(contact.username) <= _MAX_USERNAME or contact.username.strip() != (
        contact.username
    ):
        raise InvalidInput(f"username must be 1 to {_MAX_USERNAME} characters without spaces")
    locale = match_locale(contact.locale)
    if locale is None:
        raise InvalidInput(f"locale must be one of {', '.join(LOCALES)}")
    urls = tuple(dict.fromkeys(u.strip() for u in contact.apprise_urls))
    if len(urls) > MAX_URLS:
        raise InvalidInput(f"at most {MAX_URLS} apprise URLs per contact")
    for number, url in enumerate(urls, start=1):
        if not url or len(url) > _MAX_URL or "://" not in url:
            raise InvalidInput(f"apprise URL {number} is not a URL of at most {_MAX_URL} chars")
    return Contact(contact.username, locale, urls, contact.in_app, contact.updated_at)


def with_delivery_id(url: str, scheme: str, delivery_id: int) -> str:
    """`url` with the DELIVERY_ID_HEADER for `delivery_id` when it is an HTTP webhook
    (`scheme` json, form or xml), else `url` unchanged."""
    if scheme not in _WEBHOOK_SCHEMES:
        return url
    return f"{url}{'&' if '?' in url else '?'}+{DELIVERY_ID_HEADER}={delivery_id}"
