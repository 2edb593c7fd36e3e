"""The RFM groups of a tenant's members at a moment, for the ``rfm`` segment rule: scored as
the CLV report scores them (:func:`regulars.analytics.rfm.rfm_scores` over the purchases up
to the close of the day before, in local days), so a targeted promotion for "champions"
reaches exactly the members the report calls champions.

Scores rank each member among all who bought, so they are computed here, not per member in
SQL; the groups are kept per tenant in the engine's cache and computed again when the day
or the tenant's purchases (:func:`~regulars.db.analytics.purchases.purchases_stamp`) change.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from sqlalchemy import Connection

from regulars.db.analytics import purchases
from regulars.db.engine import cache_for
from regulars.db.promotions.segments import RfmLookup
from regulars.db.tenancy import tenancy
from regulars.services.analytics.clv import purchase_summary

if TYPE_CHECKING:
    from regulars.analytics.summary import IntArray

    Groups = dict[str, IntArray]


def groups_at(conn: Connection, tenant_id: int, end: date, zone: ZoneInfo) -> Groups:
    """Member ids (sorted) per RFM group, from the purchases up to the close of ``end``
    (numpy and the scoring are imported here: the app starts without them)."""
    import numpy as np

    from regulars.analytics.rfm import GROUP_ORDER, rfm_arrays
    from regulars.analytics.summary import TimeUnit

    summary = purchase_summary(conn, tenant_id, end=end, zone=zone, unit=TimeUnit.DAYS)
    ids = np.asarray(summary.member_ids, dtype=np.int64)
    group = rfm_arrays(summary).group
    return {g.value: np.sort(ids[group == i]) for i, g in enumerate(GROUP_ORDER)
            if bool(np.any(group == i))}


def _holds(ids: IntArray, member_id: int) -> bool:
    import numpy as np

    at = int(np.searchsorted(ids, member_id))
    return at < ids.size and int(ids[at]) == member_id


def lookup(conn: Connection, tenant_id: int, at: datetime) -> RfmLookup:
    """The rule's view of the groups at ``at``: the ids in any of the named groups (only the
    one member asked about, if in them)."""
    tenant = tenancy.get_tenant(conn, tenant_id)
    assert tenant is not None
    zone = ZoneInfo(tenant.timezone)
    end = at.astimezone(zone).date() - timedelta(days=1)
    stamp = (end, purchases.purchases_stamp(conn, tenant_id))
    cache, key = cache_for(conn), ("rfm groups", tenant_id)
    kept = cache.get(key)
    if isinstance(kept, tuple) and kept[0] == stamp:
        groups: Groups = kept[1]
    else:
        groups = groups_at(conn, tenant_id, end, zone)
        cache[key] = (stamp, groups)  # replaced whole: other threads see either

    def ids(wanted: frozenset[str], member_id: int | None) -> list[int]:
        held = [groups[g] for g in sorted(wanted) if g in groups]
        if member_id is None:
            return sorted(int(i) for arr in held for i in arr.tolist())
        inside = any(_holds(arr, member_id) for arr in held)
        return [member_id] if inside else []

    return ids
