"""The business's questions and answers, per language, in the order it gives them: added,
changed, moved up or down and deleted in the console or the admin API (each on the audit
trail), and shown on the customer page in the member's language, else the business's.

The text is plain: the pages escape it, and nothing in it is evaluated.

Failure modes: :class:`InvalidInput` (fields ``language``, ``question``, ``answer``) for a
language Regulars does not speak, an empty or too long text, or more than
:data:`~regulars.domain.feedback.rules.MAX_FAQ_ENTRIES` entries; :class:`NotFound` for an
entry of another business.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from regulars.db.feedback import faq as store
from regulars.db.tenancy import tenancy
from regulars.domain.feedback.rules import MAX_ANSWER, MAX_FAQ_ENTRIES, MAX_QUESTION
from regulars.errors import InvalidInput, NotFound
from regulars.services.audit import audit
from regulars.services.runtime import Runtime
from regulars.text.i18n import LANGUAGES, language_of


@dataclass(frozen=True, kw_only=True)
class Entry:
    id: int
    language: str
    position: int
    question: str
    answer: str
    updated_at: datetime


def _entry(row: dict[str, Any]) -> Entry:
    return Entry(id=row["id"], language=row["language"], position=row["position"],
                 question=row["question"], answer=row["answer"], updated_at=row["updated_at"])


def _text(value: str, *, field: str, limit: int) -> str:
    found = value.strip()
    if not found:
        raise InvalidInput("required", field=field)
    if len(found) > limit:
        raise InvalidInput("at most %(count)s characters", field=field,
                           params={"count": limit})
    return found


def _language(value: str) -> str:
    if value not in LANGUAGES:
        raise InvalidInput("unknown language", field="language")
    return value


def list_entries(rt: Runtime, tenant_id: int, language: str | None = None
                 ) -> tuple[Entry, ...]:
    with rt.db.read() as conn:
        return tuple(_entry(r) for r in store.entries(conn, tenant_id, language))


def get_entry(rt: Runtime, tenant_id: int, entry_id: int) -> Entry:
    with rt.db.read() as conn:
        row = store.entry(conn, tenant_id, entry_id)
    if row is None:
        raise NotFound("FAQ entry not found")
    return _entry(row)


def for_member(rt: Runtime, tenant_id: int, language: str) -> tuple[Entry, ...]:
    """The entries in ``language``, else in the business's own language."""
    with rt.db.read() as conn:
        found = store.entries(conn, tenant_id, language)
        if not found:
            tenant = tenancy.get_tenant(conn, tenant_id)
            own = language_of(tenant.locale) if tenant else None
            if own and own != language:
                found = store.entries(conn, tenant_id, own)
    return tuple(_entry(r) for r in found)


def add(rt: Runtime, tenant_id: int, *, language: str, question: str, answer: str,
        actor: audit.Actor) -> Entry:
    values = {"language": _language(language),
              "question": _text(question, field="question", limit=MAX_QUESTION),
              "answer": _text(answer, field="answer", limit=MAX_ANSWER)}
    now = rt.now()
    with rt.db.write() as conn:
        if store.count(conn, tenant_id) >= MAX_FAQ_ENTRIES:
            raise InvalidInput("at most %(count)s entries", field="question",
                               params={"count": MAX_FAQ_ENTRIES})
        entry_id = store.insert_entry(conn, tenant_id, now=now, **values)
        audit.record(conn, tenant_id, actor, "faq.add", f"FAQ entry {entry_id}", at=now,
                     language=values["language"])
        row = store.entry(conn, tenant_id, entry_id)
    assert row is not None
    return _entry(row)


def change(rt: Runtime, tenant_id: int, entry_id: int, *, question: str, answer: str,
           actor: audit.Actor) -> Entry:
    q = _text(question, field="question", limit=MAX_QUESTION)
    a = _text(answer, field="answer", limit=MAX_ANSWER)
    now = rt.now()
    with rt.db.write() as conn:
        if not store.update_entry(conn, tenant_id, entry_id, question=q, answer=a, now=now):
            raise NotFound("FAQ entry not found")
        audit.record(conn, tenant_id, actor, "faq.change", f"FAQ entry {entry_id}", at=now)
        row = store.entry(conn, tenant_id, entry_id)
    assert row is not None
    return _entry(row)


def _require(conn: Connection, tenant_id: int, entry_id: int) -> dict[str, Any]:
    row = store.entry(conn, tenant_id, entry_id)
    if row is None:
        raise NotFound("FAQ entry not found")
    return row


def move(rt: Runtime, tenant_id: int, entry_id: int, *, up: bool, actor: audit.Actor
         ) -> tuple[Entry, ...]:
    """Swap the entry with the one above (``up``) or below it in its language's list; the
    language's entries in their new order. At the top or bottom, nothing moves."""
    now = rt.now()
    with rt.db.write() as conn:
        row = _require(conn, tenant_id, entry_id)
        siblings = store.entries(conn, tenant_id, row["language"])
        ids = [r["id"] for r in siblings]
        at = ids.index(entry_id)
        other = at - 1 if up else at + 1
        if 0 <= other < len(ids):
            ids[at], ids[other] = ids[other], ids[at]
            for position, one in enumerate(ids, start=1):
                store.set_position(conn, tenant_id, one, position)
            audit.record(conn, tenant_id, actor, "faq.move", f"FAQ entry {entry_id}", at=now,
                         up=up)
        found = store.entries(conn, tenant_id, row["language"])
    return tuple(_entry(r) for r in found)


def delete(rt: Runtime, tenant_id: int, entry_id: int, *, actor: audit.Actor) -> None:
    now = rt.now()
    with rt.db.write() as conn:
        if not store.delete_entry(conn, tenant_id, entry_id):
            raise NotFound("FAQ entry not found")
        audit.record(conn, tenant_id, actor, "faq.delete", f"FAQ entry {entry_id}", at=now)
