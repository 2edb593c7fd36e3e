"""A time zone's local days as arithmetic a database can do: the UTC offsets in force over a
span of instants, so that the local day of an instant ``t`` (whole seconds since the epoch,
rounded down) is ``(t + offset) // 86400`` days after 1970-01-01, as
``t.astimezone(zone).date()`` gives it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
""":meth:`date.toordinal` of the epoch's day."""
SECONDS_A_DAY = 86_400


@dataclass(frozen=True)
class OffsetSpan:
    """The zone's offset from UTC, in seconds, for instants before ``until`` (and after the
    span before it); the last span's ``until`` is None (for ever after)."""

    until: datetime | None
    offset_seconds: int


def _offset(zone: tzinfo, at_seconds: int) -> int:
    found = (EPOCH + timedelta(seconds=at_seconds)).astimezone(zone).utcoffset()
    assert found is not None  # an aware datetime's
    return int(found.total_seconds())


def _change(zone: tzinfo, before: int, after: int) -> int:
    """The first whole second in ``(before, after]`` at which the offset differs from the
    one at ``before`` (there is one)."""
    offset = _offset(zone, before)
    while after - before > 1:
        middle = (before + after) // 2
        if _offset(zone, middle) == offset:
            before = middle
        else:
            after = middle
    return after


def offset_spans(zone: tzinfo, first: datetime, end: datetime) -> tuple[OffsetSpan, ...]:
    """The offsets of ``zone`` for the instants from ``first`` to ``end``, in time order.

    Changes are looked for a day apart, each found to the second: an offset that changed and
    changed back within one day would be missed (no zone's rules do that).
    """
    at, stop = int((first - EPOCH) // timedelta(seconds=1)), int((end - EPOCH).total_seconds())
    spans: list[OffsetSpan] = []
    offset = _offset(zone, at)
    while at < stop:
        step = min(at + SECONDS_A_DAY, stop)
        if _offset(zone, step) != offset:
            step = _change(zone, at, step)
            spans.append(OffsetSpan(EPOCH + timedelta(seconds=step), offset))
            offset = _offset(zone, step)
        at = step
    spans.append(OffsetSpan(None, offset))
    return tuple(spans)


def day_ordinal(at_seconds: int, offset_seconds: int) -> int:
    """:meth:`date.toordinal` of the local day of the instant ``at_seconds`` (whole seconds
    since the epoch) at ``offset_seconds`` from UTC: the formula the database computes."""
    return (at_seconds + offset_seconds + EPOCH_ORDINAL * SECONDS_A_DAY) // SECONDS_A_DAY
