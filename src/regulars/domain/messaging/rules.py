"""The rules a message to a member obeys: consent, quiet hours in the tenant's time zone, the
frequency cap's period, the signed unsubscribe token and a campaign's control group.
Pure functions; ``now`` is always a parameter."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from regulars.domain.messaging.templates import Kind

MINUTES_A_DAY = 24 * 60


def allowed(kind: Kind, consent: str) -> bool:
    """Marketing only with full consent; a transactional message with any consent."""
    return kind is Kind.TRANSACTIONAL or consent == "full"


def consents_allowed(kind: Kind) -> tuple[str, ...] | None:
    """The consents :func:`allowed` lets ``kind`` go with (None: any), for a query."""
    return None if kind is Kind.TRANSACTIONAL else ("full",)


def release_at(now: datetime, *, timezone: str, quiet_from_minute: int | None,
               quiet_until_minute: int | None) -> datetime:
    """When a message due at ``now`` may go: ``now``, or the end of the quiet hours it falls
    in (local minutes after midnight, ``from`` included, ``until`` excluded; the span may
    cross midnight). No quiet hours when either end is None or both are equal."""
    if quiet_from_minute is None or quiet_until_minute is None:
        return now
    if quiet_from_minute == quiet_until_minute:
        return now
    zone = ZoneInfo(timezone)
    local = now.astimezone(zone)
    minute = local.hour * 60 + local.minute
    start, end = quiet_from_minute, quiet_until_minute
    quiet = start <= minute < end if start < end else (minute >= start or minute < end)
    if not quiet:
        return now
    day = local.date() if minute < end else local.date() + timedelta(days=1)
    wall = datetime.combine(day, time(end // 60, end % 60), tzinfo=zone)
    return wall.astimezone(UTC)


def period_start(now: datetime, *, timezone: str, period_days: int) -> date:
    """The first day of the cap's period holding ``now``: periods of ``period_days`` local
    days counted from 1970-01-01, so every member's period turns at the same midnight."""
    local_day = now.astimezone(ZoneInfo(timezone)).date()
    epoch = date(1970, 1, 1)
    offset = (local_day - epoch).days % period_days
    return local_day - timedelta(days=offset)


def unsubscribe_token(secret: str, *, tenant_id: int, member_id: int) -> str:
    """``<tenant>.<member>.<signature>``: whoever holds it may unsubscribe this member only."""
    return f"{tenant_id}.{member_id}.{_signature(secret, tenant_id, member_id)}"


def unsubscribe_tokens(secret: str, *, tenant_id: int, member_ids: Sequence[int]
                       ) -> list[str]:
    """:func:`unsubscribe_token` of each member, the key prepared once (a campaign signs a
    link for each of thousands)."""
    keyed = hmac.new(secret.encode(), digestmod=hashlib.sha256)
    found = []
    for member_id in member_ids:
        mac = keyed.copy()
        mac.update(f"unsubscribe:{tenant_id}:{member_id}".encode())
        found.append(f"{tenant_id}.{member_id}.{mac.hexdigest()[:32]}")
    return found


def parse_unsubscribe(token: str) -> tuple[int, int] | None:
    """The tenant and member a token names (not yet checked against the signature)."""
    parts = token.split(".")
    if len(parts) != 3 or not all(p.isdigit() and len(p) <= 18 for p in parts[:2]):
        return None
    return int(parts[0]), int(parts[1])


def signature_holds(secret: str, token: str) -> bool:
    named = parse_unsubscribe(token)
    if named is None:
        return False
    expected = _signature(secret, *named)
    return hmac.compare_digest(expected, token.rsplit(".", 1)[1])


def _signature(secret: str, tenant_id: int, member_id: int) -> str:
    return hmac.new(secret.encode(), f"unsubscribe:{tenant_id}:{member_id}".encode(),
                    hashlib.sha256).hexdigest()[:32]


def in_control(*, seed: str, campaign_id: int, member_id: int, control_percent: int) -> bool:
    """Whether a member is kept out of a campaign to measure it: a stable hash of the seed,
    campaign and member, below ``control_percent`` of 100."""
    if control_percent <= 0:
        return False
    digest = hashlib.sha256(f"{seed}:{campaign_id}:{member_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % 100 < control_percent


STOP_WORDS = frozenset({"stop", "unsubscribe", "стоп", "отписаться", "відписатися", "спри"})


def is_stop(text: str) -> bool:
    """Whether an inbound text message asks to stop marketing messages."""
    return text.strip().strip(".!").casefold() in STOP_WORDS
