"""What the integration tests share: a till that calls the checkout services directly (no HTTP),
baskets, programs, concurrent callers, and fresh databases for property tests that need one per
example."""

from __future__ import annotations

import itertools
import shutil
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

from alembic.config import Config
from sqlalchemy import Connection, Engine, event, func, select

from regulars.config import Settings
from regulars.db.checkout.tables import receipts, refunds
from regulars.db.engine import Database
from regulars.db.ledger.tables import entries
from regulars.db.migrate import alembic_config
from regulars.domain.checkout.quote import QUANTITY_SCALE, BasketLine
from regulars.domain.program.program import Program
from regulars.errors import RegularsError
from regulars.services.audit import audit
from regulars.services.checkout import checkout
from regulars.services.checkout import commit as checkout_commit
from regulars.services.checkout.commit import CommitRequest
from regulars.services.checkout.idempotency import Outcome
from regulars.services.checkout.pricing import Sale
from regulars.services.ledger import member_ledger
from regulars.services.members import members
from regulars.services.members import registration as member_registration
from regulars.services.members.members import MemberRef
from regulars.services.members.registration import Registration
from regulars.services.program import programs
from regulars.services.results import to_json
from regulars.services.runtime import Clock, Runtime
from regulars.services.tenancy.api_keys import Principal, authenticate
from tests.conftest import Shop, _truncate_pg

T = TypeVar("T")


def line(sku: str, unit_price_minor: int, quantity: int = 1, *, quantity_milli: int | None = None,
         category: str = "") -> BasketLine:
    """A basket line of ``quantity`` whole units (or ``quantity_milli`` thousandths)."""
    milli = quantity * QUANTITY_SCALE if quantity_milli is None else quantity_milli
    return BasketLine(sku=sku, name=sku.title(), category=category, quantity_milli=milli,
                      unit_price_minor=unit_price_minor)


def phone(n: int) -> str:
    """A valid Russian mobile number, distinct for each ``n`` below ten million."""
    return f"+7916{n:07d}"


def set_program(rt: Runtime, tenant_id: int, **rules: Any) -> Program:
    """Save a program built from ``rules`` (validated like the API's, so enum fields may be
    given as their values) as the tenant's next version: it prices receipts from now on."""
    program = programs.parse_rules(rules)
    programs.save(rt, tenant_id, program, note="test", actor=audit.SYSTEM)
    return program


def commit_payload(member_id: int | None, lines: tuple[BasketLine, ...], *, receipt: str,
                   spend: int, hold_id: int | None, occurred_at: datetime | None
                   ) -> dict[str, Any]:
    """The body a till would send to ``/v1/pos/commit`` for this request (what is hashed)."""
    return {
        "receipt_id": receipt,
        "member": None if member_id is None else {"id": member_id},
        "lines": [{"sku": ln.sku, "name": ln.name, "category": ln.category,
                   "quantity_milli": ln.quantity_milli, "unit_price_minor": ln.unit_price_minor,
                   "discount_minor": ln.discount_minor} for ln in lines],
        "points_to_spend": spend,
        "occurred_at": occurred_at.isoformat() if occurred_at else None,
        "hold_id": hold_id,
    }


@dataclass(frozen=True)
class Commit:
    """Everything needed to send one commit again: request, key and body."""

    till: int
    request: CommitRequest
    key: str
    payload: dict[str, Any]


class Pos:
    """One tenant's checkout as its tills see it, calling the services directly."""

    def __init__(self, rt: Runtime, shop: Shop) -> None:
        self.rt = rt
        self.shop = shop
        self.tills = [authenticate(rt, key) for key in shop.till_keys]
        self._keys = itertools.count(1)

    @property
    def tenant_id(self) -> int:
        return self.shop.tenant_id

    def till(self, index: int = 0) -> Principal:
        return self.tills[index]

    def register(self, n: int) -> dict[str, Any]:
        """A new member, as JSON the way the API sends it."""
        view, _ = member_registration.register(self.rt, self.tenant_id,
                                               Registration(phone=phone(n)),
                                               store_id=self.shop.store_id,
                                               terminal_id=self.shop.terminal_ids[0])
        body: dict[str, Any] = to_json(view)
        return body

    def member(self, member_id: int) -> dict[str, Any]:
        """The member, as JSON the way the API sends it."""
        body: dict[str, Any] = to_json(members.get(self.rt, self.tenant_id,
                                                   MemberRef(id=member_id)))
        return body

    def balance(self, member_id: int) -> int:
        return int(self.member(member_id)["balance_points"])

    def grant(self, member_id: int, points: int) -> None:
        """Give a member ``points`` by hand (spendable at once)."""
        member_ledger.adjust(self.rt, self.tenant_id, member_id, points=points, reason="test grant",
                             key=f"grant-{self.tenant_id}-{member_id}-{next(self._keys)}")

    def quote(self, member_id: int | None, lines: tuple[BasketLine, ...], *, spend: int = 0,
              hold: bool = False, till: int = 0) -> dict[str, Any]:
        """The quote's answer as JSON, as the API sends it."""
        ref = None if member_id is None else MemberRef(id=member_id)
        body: dict[str, Any] = to_json(checkout.quote(
            self.rt, self.till(till), Sale(member=ref, lines=lines, points_to_spend=spend),
            hold=hold))
        return body

    def prepare(self, member_id: int | None, lines: tuple[BasketLine, ...], *, receipt: str,
                key: str | None = None, spend: int = 0, hold_id: int | None = None,
                occurred_at: datetime | None = None, till: int = 0) -> Commit:
        ref = None if member_id is None else MemberRef(id=member_id)
        request = CommitRequest(sale=Sale(member=ref, lines=lines, points_to_spend=spend),
                                receipt_id=receipt, occurred_at=occurred_at, hold_id=hold_id)
        payload = commit_payload(member_id, lines, receipt=receipt, spend=spend,
                                 hold_id=hold_id, occurred_at=occurred_at)
        return Commit(till=till, request=request, key=key or f"commit-{receipt}",
                      payload=payload)

    def send(self, commit: Commit, *, key: str | None = None) -> Outcome:
        return checkout_commit.commit(self.rt, self.till(commit.till), commit.request,
                                      key=key or commit.key, payload=commit.payload)

    def commit(self, member_id: int | None, lines: tuple[BasketLine, ...], *, receipt: str,
               key: str | None = None, spend: int = 0, hold_id: int | None = None,
               occurred_at: datetime | None = None, till: int = 0) -> dict[str, Any]:
        """Commit a receipt and return the answer's body."""
        prepared = self.prepare(member_id, lines, receipt=receipt, key=key, spend=spend,
                                hold_id=hold_id, occurred_at=occurred_at, till=till)
        return self.send(prepared).body

    def refund_outcome(self, receipt_pk: int, lines: list[tuple[int, int]] | None = None, *,
                       key: str, till: int = 0) -> Outcome:
        body_lines = None if lines is None else [
            {"line_no": n, "quantity_milli": q} for n, q in lines]
        return checkout.refund(self.rt, self.till(till), receipt_pk, lines, key=key,
                               payload={"receipt": receipt_pk, "lines": body_lines})

    def refund(self, receipt_pk: int, lines: list[tuple[int, int]] | None = None, *,
               key: str, till: int = 0) -> dict[str, Any]:
        """Refund ``lines`` (``(line_no, quantity_milli)``; ``None``: all that is left)."""
        return self.refund_outcome(receipt_pk, lines, key=key, till=till).body

    def void(self, receipt_pk: int, *, key: str, till: int = 0) -> dict[str, Any]:
        return checkout.refund(self.rt, self.till(till), receipt_pk, None, key=key,
                               payload={"receipt": receipt_pk, "void": True}, void=True).body

    def receipt(self, receipt_pk: int) -> dict[str, Any]:
        """The receipt as JSON, as the API sends it."""
        body: dict[str, Any] = to_json(checkout.receipt(self.rt, self.till(), receipt_pk))
        return body


def count_rows(rt: Runtime, tenant_id: int) -> dict[str, int]:
    """How many entries, receipts and refunds a tenant has (to show that nothing was written)."""
    with rt.db.read() as conn:
        return {table.name: int(conn.execute(select(func.count()).select_from(table)
                                             .where(table.c.tenant_id == tenant_id))
                                .scalar_one())
                for table in (entries, receipts, refunds)}


@contextmanager
def statements(rt: Runtime) -> Iterator[list[str]]:
    """The statements the runtime's engine sends meanwhile."""
    seen: list[str] = []

    def log(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        seen.append(statement)

    event.listen(rt.db.engine, "before_cursor_execute", log)
    try:
        yield seen
    finally:
        event.remove(rt.db.engine, "before_cursor_execute", log)


def run_together(n: int, call: Callable[[int], T]) -> list[T | RegularsError]:
    """Run ``call(0)`` ... ``call(n - 1)`` on ``n`` threads released at once by a barrier.

    A :class:`RegularsError` is returned in the caller's slot; anything else propagates, so an
    unexpected failure (a deadlock, a lost connection) fails the test.
    """
    barrier = threading.Barrier(n)

    def start(index: int) -> T | RegularsError:
        barrier.wait(timeout=60)
        try:
            return call(index)
        except RegularsError as exc:
            return exc

    with ThreadPoolExecutor(max_workers=n) as pool:
        return list(pool.map(start, range(n)))


class FreshDatabases:
    """A new, migrated, empty database on each :meth:`open`: a copy of the migrated SQLite
    template, or the PostgreSQL test database truncated.

    ``fast_sqlite`` turns off SQLite's fsync (``synchronous=OFF``) for property tests that run
    thousands of small transactions; isolation and locking are unchanged.
    """

    def __init__(self, *, workdir: Path, sqlite_template: Path | None = None,
                 pg_url: str | None = None, fast_sqlite: bool = True) -> None:
        if (sqlite_template is None) == (pg_url is None):
            raise ValueError("give exactly one of sqlite_template or pg_url")
        self.workdir = workdir
        self.sqlite_template = sqlite_template
        self.pg_url = pg_url
        self.fast_sqlite = fast_sqlite
        self._numbers = itertools.count(1)
        self._current: Path | None = None

    def open(self, clock: Clock) -> Runtime:
        if self.pg_url is not None:
            _truncate_pg(self.pg_url)
            url = self.pg_url
        else:
            assert self.sqlite_template is not None
            self._current = self.workdir / f"example-{next(self._numbers)}.db"
            shutil.copyfile(self.sqlite_template, self._current)
            url = f"sqlite:///{self._current}"
        db = Database.from_url(url, pool_size=5)
        if self.pg_url is None and self.fast_sqlite:
            event.listen(db.engine, "connect", _no_fsync)
        return Runtime(db=db, clock=clock, settings=Settings(database_url=url))

    def close(self, rt: Runtime) -> None:
        rt.close()
        if self._current is not None:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{self._current}{suffix}").unlink(missing_ok=True)
            self._current = None


def _no_fsync(dbapi_conn: Any, _record: Any) -> None:
    # Runs after the engine's own listener (registered first), so it overrides synchronous=FULL.
    dbapi_conn.execute("PRAGMA synchronous=OFF")


@contextmanager
def migrating(engine: Engine) -> Iterator[tuple[Config, Connection]]:
    """Alembic's configuration bound to a connection of ``engine`` that may write, for a test
    that migrates down and up again (Alembic runs its own transaction on it: commit after
    each command)."""
    config = alembic_config()
    with engine.connect() as conn:
        conn = conn.execution_options(regulars_write=True)
        config.attributes["connection"] = conn
        yield config, conn
