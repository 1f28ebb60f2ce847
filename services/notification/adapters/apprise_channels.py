"""Delivery through apprise: one URL per channel (mailto://, dingtalk://, wecom://, feishu://,
slack://, msteams://, SMS gateways, json:// and form:// webhooks, ...).

apprise's `async_notify` runs each plugin's blocking send in apprise's own thread pool, so
the event loop never blocks. Its per-call result carries the plugin's log lines, which
become the delivery's `last_error` when it fails. Nothing is written to disk (apprise's
persistent store is kept in memory) and URLs are never logged: they may hold tokens.
"""

from __future__ import annotations

import functools
import logging
import warnings

import apprise

from services.notification.domain.model import SendOutcome

__all__ = ["AppriseChannels", "scheme_of"]

log = logging.getLogger(__name__)

_MAX_ERROR = 1000
_MAX_SCHEME = 16


@functools.cache
def _load_plugins() -> None:
    """Import apprise's plugins once, up front.

    One of them imports the standard `imghdr` module, which warns about its removal in
    Python 3.13 although apprise only installs a shim for it; that one warning is ignored.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore", message="'imghdr' is deprecated", category=DeprecationWarning
        )
        apprise.NotificationManager().load_modules()  # type: ignore[no-untyped-call]


def scheme_of(url: str) -> str:
    """The URL's scheme in lower case ("mailto", "json"), a bounded metrics label."""
    scheme = url.partition("://")[0].strip().lower()
    return scheme[:_MAX_SCHEME] if scheme.isascii() and scheme.isalnum() else "other"


class AppriseChannels:
    """Validates, describes and sends to apprise URLs."""

    def __init__(self, timeout_s: float = 20.0) -> None:
        _load_plugins()
        self._timeout_s = timeout_s
        self._asset = apprise.AppriseAsset(storage_mode="memory", async_mode=True)

    def _plugin(self, url: str) -> apprise.NotifyBase | None:
        plugin = apprise.Apprise.instantiate(url, asset=self._asset)
        return plugin if isinstance(plugin, apprise.NotifyBase) else None

    def is_valid(self, url: str) -> bool:
        """True when apprise understands the URL."""
        return self._plugin(url) is not None

    def describe(self, url: str) -> str:
        """The URL with its passwords and tokens masked, for operators to read."""
        plugin = self._plugin(url)
        if plugin is None:
            return f"{scheme_of(url)}://(invalid)"
        return str(plugin.url(privacy=True))  # type: ignore[no-untyped-call]

    async def send(self, url: str, title: str, body: str) -> SendOutcome:
        """Send one message to one URL."""
        sender = apprise.Apprise(asset=self._asset)
        if not sender.add(url):
            return SendOutcome(False, "apprise does not understand this URL", permanent=True)
        result = await sender.async_notify(body=body, title=title, timeout=self._timeout_s)
        if result:
            return SendOutcome(True)
        lines = [f"{entry.level}: {entry.message}" for entry in result.logs()]
        error = "; ".join(lines) or f"apprise reported {result.status.name}"
        return SendOutcome(False, error[:_MAX_ERROR])
