"""Messages to many members at once, decided in the database: who may have one, the
frequency cap, and the outbox rows themselves, each a statement a few thousand members.

The members travel as one JSON parameter (:mod:`regulars.db.bulk`) joined to ``members``,
whose row decides: an active member, with a consent the message allows, with an address for
the channel. A text message's recipient is the member's sealed number and its blind index,
copied as they are (:data:`regulars.db.messaging.outbox.INDEX_KINDS`): nothing is opened or
sealed. The texts come rendered once per language with the member marks
(:func:`regulars.domain.messaging.templates.render_for_members`), which the statement replaces
with the member's first name and unsubscribe link, each also without the words that address
the member by name (:func:`~regulars.domain.messaging.templates.nameless`), taken for a
member without a first name. Every statement is scoped by ``tenant_id``.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, TextClause, bindparam, select, text

from regulars.db import bulk
from regulars.db.members.tables import members
from regulars.db.messaging.tables import message_caps, outbox_messages
from regulars.domain.messaging.templates import FIRST_NAME_MARK, LANGUAGES, UNSUBSCRIBE_MARK


@dataclass(frozen=True)
class Who:
    """Which members may have a message: active, with one of ``consents`` (any when None),
    with an address for ``channel`` (any member for a channel without addresses)."""

    channel: str
    consents: tuple[str, ...] | None


@dataclass(frozen=True, kw_only=True)
class Message:
    """What the messages of one cause to many members share."""

    who: Who
    event: str
    kind: str
    campaign_id: int | None
    fallback_language: str
    """The language of a member whose locale names none of the texts' languages."""
    send_at: datetime
    now: datetime


def _address(channel: str) -> tuple[str, str, str]:
    """(recipient, its index, whether the member has one) as SQL: the first two over the
    member ``m`` and its JSON row ``r``, the last over ``m`` alone."""
    if channel == "sms":
        return ("m.phone_sealed", "m.phone_index",
                "m.phone_sealed IS NOT NULL AND m.phone_sealed <> ''")
    if channel == "email":
        return "r.a", "r.ai", "m.email IS NOT NULL AND m.email <> ''"
    return "'member:' || CAST(m.id AS TEXT)", "NULL", "1 = 1"


def _listed(values: Sequence[str]) -> str:
    return ", ".join("'" + v.replace("'", "''") + "'" for v in values)


def _refused(who: Who) -> str:
    """SQL: the member ``m`` may not have the message whatever its address."""
    if who.consents is None:
        return "m.status <> 'active'"
    return f"(m.status <> 'active' OR m.consent NOT IN ({_listed(who.consents)}))"


def _eligible(who: Who) -> str:
    return f"NOT {_refused(who)} AND {_address(who.channel)[2]}"


def _members(dialect: str, columns: Sequence[tuple[str, str]]) -> str:
    """``WITH r AS (...)``: the JSON rows (``:rows``), and the join of each to its member."""
    return f"WITH r AS ({bulk.rows_of(dialect, 'rows', columns)}) "


def _join(dialect: str, *also: str) -> str:
    """``FROM`` the JSON rows ``r``, each with its member ``m`` (then the joins ``also``),
    ``WHERE`` the member is the tenant's: each member is found through its key, row by row,
    whatever the planner believes of the tables (a member table loaded a moment ago and not
    yet analysed made PostgreSQL scan it once a row)."""
    more = "".join(f" {join}" for join in also)
    if dialect == "sqlite":  # a cross join keeps the order written
        return (f"FROM r CROSS JOIN members m{more} "
                "WHERE m.tenant_id = :tenant_id AND m.id = r.m")
    # LIMIT keeps the subquery from being merged into the join (and reordered).
    return ("FROM r CROSS JOIN LATERAL (SELECT * FROM members WHERE tenant_id = :tenant_id "
            f"AND id = r.m LIMIT 1) m{more} WHERE true")


_IDS = (("m", "bigint"),)


def _each(conn: Connection, statement: TextClause, member_ids: Sequence[int],
          params: dict[str, Any]) -> list[Any]:
    """``statement``'s rows for ``member_ids``, a chunk of :data:`bulk.CHUNK` at a time."""
    found: list[Any] = []
    ids = list(dict.fromkeys(member_ids))  # an upsert touches a row once a statement
    for start in range(0, len(ids), bulk.CHUNK):
        part = [{"m": m} for m in ids[start:start + bulk.CHUNK]]
        found += conn.execute(statement, {**params, "rows": bulk.payload(conn, part)}).all()
    return found


def screen(conn: Connection, tenant_id: int, member_ids: Sequence[int], who: Who
           ) -> dict[int, str | None]:
    """Why each member found may not have a message (see :class:`Who`): ``no_consent`` (not
    active, or without the consent), ``no_address``, or None when they may."""
    if not member_ids:
        return {}
    statement = _screen_statement(conn.dialect.name, who)
    return {int(i): why for i, why in _each(conn, statement, member_ids,
                                            {"tenant_id": tenant_id})}


@functools.lru_cache(maxsize=32)
def _screen_statement(dialect: str, who: Who) -> TextClause:
    return text(f"{_members(dialect, _IDS)}SELECT m.id, CASE WHEN {_refused(who)} "
                f"THEN 'no_consent' WHEN NOT ({_address(who.channel)[2]}) THEN 'no_address' "
                f"END {_join(dialect)}")


def take_cap(conn: Connection, tenant_id: int, member_ids: Sequence[int], *, who: Who,
             period_start: date, cap: int) -> set[int]:
    """Count one marketing message for each member of ``member_ids`` who may have it
    (``who``) and is still under ``cap`` in the period; return those counted. One upsert a
    few thousand members: of concurrent callers past the cap, none gets in."""
    if not member_ids or cap <= 0:
        return set()
    statement = _cap_statement(conn.dialect.name, who)
    return {int(m) for (m,) in _each(conn, statement, member_ids, {
        "tenant_id": tenant_id, "period": period_start, "cap": cap})}


@functools.lru_cache(maxsize=32)
def _cap_statement(dialect: str, who: Who) -> TextClause:
    return text(_members(dialect, _IDS) + _count_cap(
        f"SELECT :tenant_id, m.id, :period, 1 {_join(dialect)} AND {_eligible(who)}"
    )).bindparams(bindparam("period", type_=message_caps.c.period_start.type))


def _count_cap(members_sql: str) -> str:
    """The upsert that counts a message against the cap of each member ``members_sql``
    selects (tenant, member, period, 1), returning those still under it."""
    return ("INSERT INTO message_caps (tenant_id, member_id, period_start, sent) "
            f"{members_sql} ON CONFLICT (tenant_id, member_id, period_start) DO UPDATE "
            "SET sent = message_caps.sent + 1 WHERE message_caps.sent < :cap "
            "RETURNING member_id")


def queue(conn: Connection, tenant_id: int, message: Message,
          rows: Sequence[dict[str, Any]], texts: Sequence[dict[str, Any]]) -> set[int]:
    """Queue a message to each member of ``rows`` who may have it (``message.who``), in one
    ``INSERT … SELECT`` a few thousand; a key already queued is skipped. The members queued.

    ``rows``: ``{"m": member id, "k": key}``, with ``"u"`` (the member's unsubscribe link)
    when a text has one, ``"g"`` (the texts' group) when there are several, and for an e-mail
    the sealed address and its index (``"a"``, ``"ai"``). ``texts``: ``{"g": group, "l":
    language, "s": subject, "b": body, "sn": subject, "bn": body}`` for every language of
    :data:`~regulars.domain.messaging.templates.LANGUAGES` (``sn`` and ``bn`` for a member
    without a first name)."""
    inserted: set[int] = set()
    if not rows:
        return inserted
    statement = _queue_statement(conn.dialect.name, message.who, tuple(rows[0]))
    common = _params(conn, tenant_id, message, texts)
    for start in range(0, len(rows), bulk.CHUNK):
        found = conn.execute(statement, {
            **common, "rows": bulk.payload(conn, rows[start:start + bulk.CHUNK])})
        inserted.update(int(m) for m in found.scalars())
    return inserted


def _params(conn: Connection, tenant_id: int, message: Message,
            texts: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The parameters the statements that queue ``message`` share."""
    return {"tenant_id": tenant_id, "channel": message.who.channel, "event": message.event,
            "kind": message.kind, "campaign_id": message.campaign_id,
            "fallback": message.fallback_language, "send_at": message.send_at,
            "now": message.now, "texts": bulk.payload(conn, texts)}


def _language() -> str:
    """The member's language as :func:`regulars.text.i18n.language_of` reads its locale, in
    SQL (each language has two letters)."""
    cases = " ".join(
        f"WHEN lower(substr(m.locale, 1, 2)) = '{lang}' AND (length(m.locale) = 2 "
        f"OR substr(m.locale, 3, 1) IN ('_', '-')) THEN '{lang}'" for lang in LANGUAGES)
    return f"CASE {cases} ELSE :fallback END"


_ROW_TYPES = {"m": "bigint", "k": "text", "u": "text", "g": "int", "a": "text", "ai": "text"}
_TEXT_COLUMNS = (("g", "int"), ("l", "text"), ("s", "text"), ("b", "text"), ("sn", "text"),
                 ("bn", "text"))


@functools.lru_cache(maxsize=64)
def _queue_statement(dialect: str, who: Who, given: tuple[str, ...]) -> TextClause:
    recipient, index, present = _address(who.channel)
    if who.channel == "email":  # sealed when read: none for an address added since
        present += " AND r.a IS NOT NULL"
    group = "r.g" if "g" in given else "0"
    texts = bulk.rows_of(dialect, "texts", _TEXT_COLUMNS)
    sql = (
        _members(dialect, [(c, _ROW_TYPES[c]) for c in given])
        # The texts are read once into a table of their own (else SQLite reads the JSON
        # again for every member).
        + f", t AS MATERIALIZED ({texts}) "
        + _insert_outbox(key="r.k", recipient=recipient, index=index, member="m.id",
                         link="r.u" if "u" in given else "''", first_name="m.first_name")
        + f"{_join(dialect, 'CROSS JOIN t')} AND t.g = {group} AND t.l = {_language()} "
        f"AND NOT {_refused(who)} AND {present} "
        "ON CONFLICT (tenant_id, key) DO NOTHING RETURNING member_id")
    return _typed(text(sql))


def _insert_outbox(*, key: str, recipient: str, index: str, member: str, link: str,
                   first_name: str) -> str:
    """``INSERT … SELECT`` of a member's outbox row (the texts ``t`` filled with ``link``
    and ``first_name``, or their nameless texts without one), up to its ``FROM``."""
    fill = (f"CASE WHEN trim(coalesce({first_name}, '')) = '' "
            f"THEN replace(t.{{0}}n, '{UNSUBSCRIBE_MARK}', {link}) "
            f"ELSE replace(replace(t.{{0}}, '{UNSUBSCRIBE_MARK}', {link}), '{FIRST_NAME_MARK}', "
            f"{first_name}) END")
    return ("INSERT INTO outbox_messages (tenant_id, key, channel, recipient, recipient_index, "
            "subject, body, erase_after_send, status, attempts, next_attempt_at, created_at, "
            "member_id, event, kind, campaign_id) "
            f"SELECT :tenant_id, {key}, :channel, {recipient}, {index}, "
            f"substr({fill.format('s')}, 1, 200), {fill.format('b')}, :erase, 'queued', "
            f"0, :send_at, :now, {member}, :event, :kind, :campaign_id ")


def _typed(statement: TextClause) -> TextClause:
    o = outbox_messages
    return statement.bindparams(
        bindparam("send_at", type_=o.c.next_attempt_at.type),
        bindparam("now", type_=o.c.created_at.type),
        bindparam("erase", False, type_=o.c.erase_after_send.type))


@dataclass(frozen=True)
class Cap:
    """A marketing message counts against the member's frequency cap: ``messages`` a period
    starting ``period_start``."""

    period_start: date
    messages: int


def in_one_statement(conn: Connection) -> bool:
    """Whether :func:`queue_screened` decides and queues in one statement a chunk (PostgreSQL,
    with data-modifying ``WITH``); elsewhere :func:`take_cap`, :func:`queue` and
    :func:`screen` do it a step a statement."""
    return conn.dialect.name == "postgresql"


def queue_screened(conn: Connection, tenant_id: int, message: Message,
                   rows: Sequence[dict[str, Any]], texts: Sequence[dict[str, Any]], *,
                   cap: Cap | None) -> dict[int, str]:
    """As :func:`take_cap` (when ``cap``), then :func:`queue`, then :func:`screen` of those
    not queued, in one statement a chunk (see :func:`in_one_statement`): what became of each
    member found, ``queued``, ``already`` (its key was queued before), ``capped``,
    ``no_consent`` or ``no_address``. A marketing message whose key is already queued counts
    nothing against the cap. ``rows`` and ``texts`` as for :func:`queue`, a row a member."""
    outcomes: dict[int, str] = {}
    if not rows:
        return outcomes
    statement = _screened_statement(message.who, tuple(rows[0]), cap is not None)
    common = _params(conn, tenant_id, message, texts)
    if cap is not None:
        common.update(period=cap.period_start, cap=cap.messages)
    taken: set[int] = set()
    for start in range(0, len(rows), bulk.CHUNK):
        for member_id, what in conn.execute(statement, {
                **common, "rows": bulk.payload(conn, rows[start:start + bulk.CHUNK])}):
            if what == "taken":
                taken.add(int(member_id))
            elif what == "eligible":  # not queued: over the cap, else its key came in
                outcomes.setdefault(int(member_id), "capped" if cap else "already")
            else:
                outcomes[int(member_id)] = what
    # Under the cap but not queued: its key came in meanwhile.
    return {m: "already" if o == "capped" and m in taken else o for m, o in outcomes.items()}


@functools.lru_cache(maxsize=64)
def _screened_statement(who: Who, given: tuple[str, ...], capped: bool) -> TextClause:
    """Each member's row (``j``: why it may not have the message, whether its key is queued)
    is read once; the cap (``c``) and the outbox (``q``) are written from it. The answer tags
    each member: why not, ``already``, ``eligible``, ``taken`` (under the cap), ``queued``."""
    recipient, index, present = _address(who.channel)
    if who.channel == "email":  # sealed when read: none for an address added since
        present += " AND r.a IS NOT NULL"
    # Each key is looked up in the outbox's unique index (LIMIT keeps it a look-up: as a
    # hashed subplan the tenant's whole outbox was read once a batch).
    done = ("LEFT JOIN LATERAL (SELECT true AS found FROM outbox_messages WHERE tenant_id = "
            ":tenant_id AND key = r.k LIMIT 1) o ON true",) if capped else ()
    j = (f"j AS MATERIALIZED (SELECT r.*, m.first_name, {recipient} AS recipient, "
         f"{index} AS recipient_index, {_language()} AS l, CASE WHEN {_refused(who)} "
         f"THEN 'no_consent' WHEN NOT ({present}) THEN 'no_address' END AS why, "
         f"{'o.found IS NOT NULL' if capped else 'false'} AS done "
         f"{_join('postgresql', *done)})")
    eligible = "FROM j WHERE j.why IS NULL AND NOT j.done"
    c = ("c AS (" + _count_cap(f"SELECT :tenant_id, j.m, :period, 1 {eligible} AND :cap > 0")
         + "), ") if capped else ""
    q = ("q AS (" + _insert_outbox(key="j.k", recipient="j.recipient",
                                   index="j.recipient_index", member="j.m",
                                   link="j.u" if "u" in given else "''",
                                   first_name="j.first_name")
         + "FROM j JOIN t ON "
         f"t.g = {'j.g' if 'g' in given else '0'} AND t.l = j.l "
         "WHERE j.why IS NULL AND NOT j.done "
         # Under OR the look-up stays a hashed subplan: as a join, the planner (who
         # believes j and c hold a row each) walks c once a member.
         + ("AND (j.m IN (SELECT member_id FROM c) OR j.m IS NULL) " if capped else "")
         + "ON CONFLICT (tenant_id, key) DO NOTHING RETURNING member_id) ")
    sql = (_members("postgresql", [(c_, _ROW_TYPES[c_]) for c_ in given])
           + f", t AS MATERIALIZED ({bulk.rows_of('postgresql', 'texts', _TEXT_COLUMNS)}), "
           + j + ", " + c + q
           + "SELECT j.m, coalesce(j.why, 'already') FROM j WHERE j.why IS NOT NULL OR j.done "
           + f"UNION ALL SELECT j.m, 'eligible' {eligible} "
           + ("UNION ALL SELECT member_id, 'taken' FROM c " if capped else "")
           + "UNION ALL SELECT member_id, 'queued' FROM q")
    statement = _typed(text(sql))
    if capped:
        statement = statement.bindparams(bindparam("period",
                                                   type_=message_caps.c.period_start.type))
    return statement


def emails(conn: Connection, tenant_id: int, member_ids: Sequence[int]) -> dict[int, str]:
    """The members' e-mail addresses (those that have one)."""
    if not member_ids:
        return {}
    m = members
    return {int(i): str(e) for i, e in conn.execute(select(m.c.id, m.c.email).where(
        m.c.tenant_id == tenant_id, bulk.one_of(conn, m.c.id, member_ids),
        m.c.email.is_not(None), m.c.email != ""))}
