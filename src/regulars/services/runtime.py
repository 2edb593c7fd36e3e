"""The composition root: one database, one clock, shared by every service call.

Edges (API, CLI) build a :class:`Runtime` once and pass it to services; tests build one with
a fake clock. Nothing below this reads the wall clock or the environment.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from regulars.config import Settings
from regulars.db.engine import Database
from regulars.db.migrate import upgrade
from regulars.services.messaging import Sender, sender_from
from regulars.services.throttle import Throttle

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    return datetime.now(UTC)


@dataclass
class Runtime:
    db: Database
    clock: Clock = system_clock
    settings: Settings = field(default_factory=Settings)
    sender: Sender | None = None
    throttle: Throttle = field(default_factory=Throttle)
    """Failed sign-ins and API keys counted in this process (see services.throttle)."""

    def sms(self) -> Sender:
        """The sender of text messages (built from the settings on first use)."""
        if self.sender is None:
            self.sender = sender_from(self.settings)
        return self.sender

    def now(self) -> datetime:
        value = self.clock()
        if value.tzinfo is None:
            raise ValueError("the clock must return an aware datetime")
        return value.astimezone(UTC)

    def close(self) -> None:
        self.db.dispose()


def open_runtime(settings: Settings | None = None, *, clock: Clock = system_clock,
                 migrate: bool = False) -> Runtime:
    """A runtime over ``settings.database_url``; with ``migrate`` the schema is upgraded."""
    settings = settings or Settings()
    db = Database.from_url(settings.database_url, pool_size=settings.pool_size,
                           busy_timeout_seconds=settings.sqlite_busy_timeout_seconds)
    if migrate:
        upgrade(db.engine)
    return Runtime(db=db, clock=clock, settings=settings)


def upgrade_schema(settings: Settings | None = None) -> str:
    """Apply every pending migration; return the database URL it ran against."""
    settings = settings or Settings()
    db = Database.from_url(settings.database_url)
    try:
        upgrade(db.engine)
    finally:
        db.dispose()
    return settings.database_url
