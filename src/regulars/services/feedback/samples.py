"""Ratings and questions written in bulk, for the demo business: a share of the latest
receipts rated (one insert, no events or rewards: the demo's history is past) and a short
FAQ in each language (one insert)."""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from datetime import timedelta

from regulars.db.feedback import faq as faq_store
from regulars.db.feedback import feedback as store
from regulars.services.runtime import Runtime


def rate_recent(rt: Runtime, tenant_id: int, *, receipts: int, share_percent: int,
                comments: Sequence[tuple[int, str]], seed: int) -> int:
    """Rate ``share_percent`` of the latest ``receipts`` of members (mostly 4 and 5 stars,
    ``comments``: ``(rating, text)`` given with the first few); how many were rated."""
    rng = random.Random(seed)
    now = rt.now()
    with rt.db.write() as conn:
        found = store.recent_member_receipts(conn, tenant_id, limit=receipts)
        chosen = [r for r in found if rng.randrange(100) < share_percent]
        rows = []
        for n, receipt in enumerate(chosen):
            rating, comment = comments[n] if n < len(comments) else (
                rng.choices((5, 4, 3, 2, 1), weights=(55, 25, 10, 6, 4))[0], None)
            given = min(now, receipt["occurred_at"] + timedelta(hours=rng.randint(1, 20)))
            rows.append({"tenant_id": tenant_id, "rating": rating, "comment": comment,
                         "source": "demo", "created_at": given, "updated_at": given,
                         **receipt})
        store.insert_many(conn, rows)
    return len(rows)


def write_faq(rt: Runtime, tenant_id: int,
              entries: Mapping[str, Sequence[tuple[str, str]]]) -> None:
    """The FAQ: ``entries`` per language, in order (one insert)."""
    now = rt.now()
    rows = [{"tenant_id": tenant_id, "language": language, "position": position,
             "question": question, "answer": answer, "created_at": now, "updated_at": now}
            for language, items in entries.items()
            for position, (question, answer) in enumerate(items, start=1)]
    with rt.db.write() as conn:
        faq_store.insert_many(conn, rows)
