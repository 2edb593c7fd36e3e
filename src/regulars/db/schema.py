"""The whole schema: every area's tables registered on the one ``metadata``.

Import ``metadata`` from here (not from :mod:`regulars.db.base`) wherever all the
tables must be known: Alembic's environment, schema comparisons, the tests that
empty every table.
"""

from __future__ import annotations

from regulars.db.analytics import tables as analytics
from regulars.db.audit import tables as audit
from regulars.db.base import metadata
from regulars.db.catalog import tables as catalog
from regulars.db.checkout import tables as checkout
from regulars.db.feedback import tables as feedback
from regulars.db.jobs import tables as jobs
from regulars.db.ledger import tables as ledger
from regulars.db.members import tables as members
from regulars.db.messaging import tables as messaging
from regulars.db.passes import tables as passes
from regulars.db.program import tables as program
from regulars.db.promotions import tables as promotions
from regulars.db.rewards import tables as rewards
from regulars.db.stamps import tables as stamps
from regulars.db.stored_value import tables as stored_value
from regulars.db.tenancy import tables as tenancy
from regulars.db.web_sessions import tables as web_sessions

AREAS = (
    analytics,
    audit,
    catalog,
    checkout,
    feedback,
    jobs,
    ledger,
    members,
    messaging,
    passes,
    program,
    promotions,
    rewards,
    stamps,
    stored_value,
    tenancy,
    web_sessions,
)
"""Each area's tables module; importing it registers its tables on ``metadata``."""

__all__ = ["AREAS", "metadata"]
