"""The composition root: one database, one clock, shared by every service call.

Edges (API, CLI) build a :class:`Runtime` once and pass it to services; tests build one with
a fake clock. Nothing below this reads the wall clock or the environment.
"""

from __future__ import annotations

import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from regulars.config import Settings
from regulars.db import personal
from regulars.db.engine import Database, sqlite_path, unavailable_on_error
from regulars.db.migrate import head, holds_tenants, revision_on, upgrade
from regulars.errors import InvalidInput
from regulars.services.messaging.messaging import (
    BUILT_IN_CHANNELS,
    ChannelSender,
    DeliveryFailed,
    Sender,
    channels_from,
    sender_from,
)
from regulars.services.messaging.plugins import build_channels, load_channels
from regulars.services.tenancy.throttle import Throttle

Clock = Callable[[], datetime]
Resolver = Callable[[str], list[str]]
"""A host name's IP addresses (raises :class:`OSError` when it has none)."""


def system_clock() -> datetime:
    return datetime.now(UTC)


def system_resolver(host: str) -> list[str]:
    """The addresses the system's resolver gives ``host``, in its order of preference."""
    infos = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


@dataclass
class Runtime:
    db: Database
    clock: Clock = system_clock
    settings: Settings = field(default_factory=Settings)
    sender: Sender | None = None
    throttle: Throttle = field(default_factory=Throttle)
    """Failed sign-ins and API keys counted in this process (see services.throttle)."""
    resolver: Resolver = system_resolver
    """Where outbound webhooks look their hosts up (tests pass one of their own)."""
    plugins: dict[str, ChannelSender] = field(init=False, repr=False)
    """The channel plug-ins' senders, built once (see services.messaging.plugins)."""

    def __post_init__(self) -> None:
        use_personal_keys(self.settings)
        load_channels(self.settings)
        self.plugins = build_channels(self.settings, self.db)

    def sms(self) -> Sender:
        """The sender of text messages (built from the settings on first use)."""
        if self.sender is None:
            self.sender = sender_from(self.settings)
        return self.sender

    def channel_names(self) -> tuple[str, ...]:
        """The channels a business may send its members' messages through: the built-in
        ones, then the plug-ins this process loaded."""
        return (*BUILT_IN_CHANNELS, *self.plugins)

    def channel(self, name: str) -> ChannelSender:
        """The sender of a channel (``sms``, ``email``, ``webhook`` or a plug-in's); raises
        :class:`DeliveryFailed` for a channel the settings do not configure."""
        found = self.plugins[name] if name in self.plugins else channels_from(
            self.settings, self.sms(), self.db).get(name)
        if found is None:
            raise DeliveryFailed(f"the {name} channel is not configured")
        return found

    def now(self) -> datetime:
        value = self.clock()
        if value.tzinfo is None:
            raise ValueError("the clock must return an aware datetime")
        return value.astimezone(UTC)

    def close(self) -> None:
        self.db.dispose()

    def __enter__(self) -> Runtime:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def open_runtime(settings: Settings | None = None, *, clock: Clock = system_clock,
                 migrate: bool = False) -> Runtime:
    """A runtime over ``settings.database_url``; with ``migrate`` the schema is upgraded.

    Raises :class:`InvalidInput` for a URL it cannot use and, with ``migrate``,
    :class:`Unavailable` for a database it cannot reach or that stayed locked past the busy
    timeout, and :class:`InvalidInput` for a database holding a business's data while the
    keys are the development key (see :func:`refuse_development_key`): nothing is migrated
    then."""
    settings = settings or Settings()
    use_personal_keys(settings)  # a migration may seal values
    db = _database(settings)
    if migrate:
        try:
            with unavailable_on_error():
                refuse_development_key(settings, empty_database_allowed=True, db=db)
                upgrade(db.engine)
        except BaseException:
            db.dispose()
            raise
    return _runtime(db, clock=clock, settings=settings)


def _runtime(db: Database, *, clock: Clock, settings: Settings) -> Runtime:
    """A runtime over ``db``, which is let go when a channel plug-in cannot be loaded."""
    try:
        return Runtime(db=db, clock=clock, settings=settings)
    except BaseException:
        db.dispose()
        raise


def open_existing_runtime(settings: Settings | None = None, *,
                          clock: Clock = system_clock) -> Runtime:
    """A runtime over a database that exists and has the schema this code expects, as it is:
    nothing is created, migrated or changed (a mistyped SQLite path makes no file).

    Raises :class:`InvalidInput` (field ``database_url``) when the SQLite file does not
    exist or the schema is not current, :class:`Unavailable` when the database cannot be
    reached."""
    settings = settings or Settings()
    url = settings.database_url
    if url.startswith("sqlite"):
        path = sqlite_path(url)
        if path != ":memory:" and not (path and Path(path).is_file()):
            shown = path or "(no path)"
            raise InvalidInput(f"there is no SQLite database at {shown}; nothing was created",
                               field="database_url")
    rt = _runtime(_database(settings), clock=clock, settings=settings)
    try:
        with rt.db.read() as conn:
            schema = revision_on(conn)
        if schema != head():
            raise InvalidInput(f"the database schema is {schema or 'not created'}, this code "
                               f"needs {head()}: run `regulars db upgrade` first",
                               field="database_url")
    except BaseException:
        rt.close()
        raise
    return rt


def upgrade_schema(settings: Settings | None = None) -> str:
    """Apply every pending migration; return the database URL it ran against.

    Raises as :func:`open_runtime` does with ``migrate``; on SQLite it waits for another
    writer's lock no longer than ``settings.sqlite_busy_timeout_seconds``."""
    settings = settings or Settings()
    with open_runtime(settings, migrate=True):
        return settings.database_url


DEVELOPMENT_KEY_REFUSED = (
    "REGULARS_PERSONAL_DATA_KEY is not set, so members' and staff's phone and card numbers "
    "would be encrypted under the built-in development key, which anyone can read in the "
    "source. Set REGULARS_PERSONAL_DATA_KEY to a long random secret (and keep it: the data "
    "cannot be read without it), or REGULARS_PERSONAL_DATA_DEVELOPMENT_KEY_ALLOWED=true on a "
    "development machine. Nothing was written.")


def refuse_development_key(settings: Settings, *, empty_database_allowed: bool = False,
                           db: Database | None = None) -> None:
    """Refuse to write personal data under the built-in development key unless the settings
    allow it. With ``empty_database_allowed`` a database without any business (or not yet
    created: a missing SQLite file is not made) passes, since nothing in it is personal yet.

    Raises :class:`InvalidInput` (no field: the message names the settings), or
    :class:`Unavailable` when the database must be read and cannot be."""
    if settings.personal_data_key or settings.personal_data_development_key_allowed:
        return
    if empty_database_allowed and not _holds_business(settings, db):
        return
    raise InvalidInput(DEVELOPMENT_KEY_REFUSED)


def _holds_business(settings: Settings, db: Database | None) -> bool:
    url = settings.database_url
    if url.startswith("sqlite"):
        path = sqlite_path(url)
        if path in ("", ":memory:") or not Path(path).is_file():
            return False
    opened = db or _database(settings)
    try:
        with unavailable_on_error(), opened.read() as conn:
            return holds_tenants(conn)
    finally:
        if db is None:
            opened.dispose()


def use_personal_keys(settings: Settings) -> None:
    """Make the settings' personal data keys the process's (see :mod:`regulars.db.personal`)."""
    old = [s.strip() for s in settings.personal_data_old_keys.split(",") if s.strip()]
    personal.use(personal.Keyring.from_secrets(settings.personal_data_key, old,
                                               index_secret=settings.personal_index_key or None))


def _database(settings: Settings) -> Database:
    return Database.from_url(settings.database_url, pool_size=settings.pool_size,
                             busy_timeout_seconds=settings.sqlite_busy_timeout_seconds)
