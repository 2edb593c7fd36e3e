"""Channel plug-ins: senders outside Regulars for channels of their own (what a plug-in
receives and must do is in docs/channel-plugins.md).

A plug-in is a factory ``(Settings, Database) -> sender``, found two ways: the entry points
of the :data:`GROUP` group of the installed distributions (the entry point's name is the
channel's), and the ``channel_plugins`` setting (``name=module:callable``, separated by
commas; it wins over an installed plug-in of the same name). Both are loaded, and each
sender built, when a runtime is made, so a plug-in that cannot be imported or started stops
a server or worker at start-up with a message naming it, not at its first message. The
installed distributions are scanned once per process (:func:`installed`): the scan reads
every distribution's metadata, tens of milliseconds a runtime; the setting is read by each.
"""

from __future__ import annotations

from functools import cache
from importlib.metadata import EntryPoint, entry_points

from regulars.config import Settings
from regulars.db.engine import Database
from regulars.errors import InvalidInput
from regulars.services.messaging.messaging import (
    PLUGINS,
    ChannelFactory,
    ChannelSender,
    register_channel,
)

GROUP = "regulars.channels"
SETTING = "channel_plugins"


@cache
def installed() -> tuple[EntryPoint, ...]:
    """The plug-ins the installed distributions declare, found once per process (a
    distribution installed later is found by the next process; tests that install one call
    ``installed.cache_clear()``)."""
    return tuple(entry_points(group=GROUP))


def _named(value: str) -> list[EntryPoint]:
    """The plug-ins the setting names; raises :class:`InvalidInput` for an item that is not
    ``name=module:callable``."""
    found = []
    for item in filter(None, (part.strip() for part in value.split(","))):
        name, _, target = item.partition("=")
        if not name.strip() or ":" not in target:
            raise InvalidInput(f"{item!r} is not name=module:callable", field=SETTING)
        found.append(EntryPoint(name.strip(), target.strip(), GROUP))
    return found


def _factory(plugin: EntryPoint, field: str | None) -> ChannelFactory:
    where = f"the channel plug-in {plugin.name!r} ({plugin.value})"
    try:
        factory = plugin.load()
    except Exception as exc:  # whatever importing someone else's module raises
        raise InvalidInput(
            f"{where} could not be loaded: {type(exc).__name__}: {exc}", field=field
        ) from exc
    if not callable(factory):
        raise InvalidInput(f"{where} is not callable", field=field)
    found: ChannelFactory = factory
    return found


def load_channels(settings: Settings) -> list[str]:
    """Register the installed plug-ins and the setting's (see the module's docstring);
    return the channels' names.

    Raises :class:`InvalidInput` (field ``channel_plugins`` for the setting's) naming a
    plug-in that cannot be imported, is not callable or takes a built-in channel's name."""
    found: list[tuple[EntryPoint, str | None]] = [
        (plugin, None) for plugin in installed()
    ]
    found += [(plugin, SETTING) for plugin in _named(settings.channel_plugins)]
    for plugin, field in found:
        factory = _factory(plugin, field)
        try:
            register_channel(plugin.name, factory)
        except ValueError as exc:
            raise InvalidInput(f"the channel plug-in {plugin.value}: {exc}", field=field) from exc
    return [plugin.name for plugin, _ in found]


def build_channels(settings: Settings, db: Database) -> dict[str, ChannelSender]:
    """A sender from each registered plug-in; raises :class:`InvalidInput` naming one whose
    factory fails or builds something without ``deliver``."""
    senders: dict[str, ChannelSender] = {}
    for name, factory in PLUGINS.items():
        try:
            sender = factory(settings, db)
        except Exception as exc:  # a plug-in's own failure, told at start-up
            raise InvalidInput(
                f"the channel plug-in {name!r} could not be started: {type(exc).__name__}: {exc}"
            ) from exc
        if not callable(getattr(sender, "deliver", None)):
            raise InvalidInput(
                f"the channel plug-in {name!r} built a sender without deliver(message)"
            )
        senders[name] = sender
    return senders
