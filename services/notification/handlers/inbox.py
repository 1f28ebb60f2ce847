"""The inbox, contacts and the delivery list: each use case one statement or transaction."""

from __future__ import annotations

from psycopg_pool import AsyncConnectionPool

from services.notification.adapters.contacts_repo import ContactRepository
from services.notification.adapters.inbox_repo import InboxItem, InboxRepository, Owners
from services.notification.adapters.outbox_repo import DeliveryFilter, DeliveryRow, OutboxRepository
from services.notification.domain.delivery import check_contact
from services.notification.domain.errors import InvalidInput
from services.notification.domain.model import Contact
from services.notification.domain.recipients import is_group
from services.notification.domain.templates import normalize_locale
from services.notification.handlers.ports import Channels

__all__ = ["InboxPage", "NotificationHandlers"]

_MAX_PAGE = 200
_DEFAULT_PAGE = 50
_MAX_IDS = 500
_MAX_GROUPS = 10

#: A page of the inbox: the messages, the token for the next page ('' at the end), and how
#: many of the user's messages are unread in all.
InboxPage = tuple[list[InboxItem], str, int]


def _page_size(requested: int) -> int:
    return min(requested, _MAX_PAGE) if requested > 0 else _DEFAULT_PAGE


def _before(token: str) -> int | None:
    """The id a page token points below; '' is the first page."""
    if not token:
        return None
    if not token.isdigit() or len(token) > 19:
        raise InvalidInput("page_token is not one this service issued")
    return int(token)


def _username(username: str) -> str:
    if not 1 <= len(username) <= 64:
        raise InvalidInput("username must be 1 to 64 characters")
    return username


def _owners(username: str, groups: list[str], site: str) -> Owners:
    """The user and the groups ("role:<role>") whose shared messages about tickets at
    `site` (every site when '') they see."""
    if len(groups) > _MAX_GROUPS or not all(is_group(g) and len(g) <= 64 for g in groups):
        raise InvalidInput(f"groups must be at most {_MAX_GROUPS} names like 'role:supervisor'")
    if len(site) > 64:
        raise InvalidInput("site must be at most 64 characters")
    return Owners(_username(username), tuple(groups), site)


class NotificationHandlers:
    """Reading and marking the inbox, managing contacts, listing deliveries."""

    def __init__(self, pool: AsyncConnectionPool, channels: Channels, default_locale: str) -> None:
        self._pool = pool
        self._channels = channels
        self._default_locale = normalize_locale(default_locale)

    async def list_inbox(
        self,
        username: str,
        unread_only: bool,
        page_size: int,
        page_token: str,
        groups: list[str] | None = None,
        site: str = "",
    ) -> InboxPage:
        """A page of the user's messages and their groups' shared ones (about tickets at
        `site`, every site when ''), newest first."""
        size = _page_size(page_size)
        owners = _owners(username, groups or [], site)
        async with self._pool.connection() as conn:
            repo = InboxRepository(conn)
            items = await repo.page(owners, unread_only, size + 1, _before(page_token))
            unread = await repo.unread_count(owners)
        token = str(items[size - 1].id) if len(items) > size else ""
        return items[:size], token, unread

    async def mark_read(
        self,
        username: str,
        ids: list[int],
        all_unread: bool,
        groups: list[str] | None = None,
        site: str = "",
    ) -> int:
        """Mark messages read (only the user's own and their groups' at `site`); returns
        how many changed. A group's message read by one member is read for all of them."""
        if not all_unread and not ids:
            raise InvalidInput("name the ids to mark read, or ask for all")
        if len(ids) > _MAX_IDS:
            raise InvalidInput(f"at most {_MAX_IDS} ids at once")
        owners = _owners(username, groups or [], site)
        async with self._pool.connection() as conn:
            return await InboxRepository(conn).mark_read(owners, None if all_unread else ids)

    async def put_contact(self, contact: Contact) -> tuple[Contact, bool]:
        """Store the user's contact; every apprise URL must be one apprise understands."""
        checked = check_contact(contact)
        for number, url in enumerate(checked.apprise_urls, start=1):
            if not self._channels.is_valid(url):
                raise InvalidInput(f"apprise does not understand URL {number}")
        async with self._pool.connection() as conn:
            return await ContactRepository(conn).put(checked)

    async def get_contact(self, username: str) -> tuple[Contact, bool]:
        """The stored contact, or the defaults (default locale, inbox only); and whether
        one is stored."""
        async with self._pool.connection() as conn:
            found = await ContactRepository(conn).get(_username(username))
        if found is None:
            return Contact(username, self._default_locale), False
        return found, True

    async def list_deliveries(
        self, flt: DeliveryFilter, page_size: int, page_token: str
    ) -> tuple[list[DeliveryRow], str]:
        """A page of deliveries, newest first."""
        size = _page_size(page_size)
        async with self._pool.connection() as conn:
            rows = await OutboxRepository(conn).page(flt, size + 1, _before(page_token))
        token = str(rows[size - 1].id) if len(rows) > size else ""
        return rows[:size], token
