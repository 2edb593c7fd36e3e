"""The ``--tenders`` mode of ``bench/checkout.py``: quote+commit pairs paying part of the
receipt (10.00 of 216.74) by gift certificate against the same pairs paying nothing by one,
and quotes of members who hold no stored value in a business that sells it against quotes in
one that does not, in one run.

    uv run python bench/checkout.py --tenders [--database-url ...] [--wait-idle 30]

Setup and server as in the checkout benchmark, with three tenants set up alike (32 tills,
50 members with points):

- ``none``: no stored value at all;
- ``tender``: every member holds a certificate of an open-amount series (a million in
  balance, so that it never runs dry); each sale presents it, quote and commit, paying
  :data:`TENDER_MINOR` with it;
- ``elsewhere``: a series with :data:`OTHER_CERTIFICATES` certificates, a goods product with
  bearer cards and :data:`OTHER_MEMBERS` other members with wallets, but the 50 members whose
  sales are measured hold none of it and present no tender.

Phases alternate — pairs none / tender, quotes none / elsewhere, :data:`ROUNDS` rounds — at 8
and 32 clients, so that load from elsewhere on the machine falls on every side alike; each
side's rate is the sum of its phases' completions over their time.

Targets (the issue): a commit paying part by certificate costs at most 1.2× one without
(pairs/s with the tender ≥ 1/1.2 of those without, and the commit's median time ≤ 1.2×);
quotes for members holding no stored value are not slower (≥ 0.9× quotes/s, the spread
between rounds of one side on this shared machine being about that).
"""

from __future__ import annotations

import argparse
import math
import tempfile
import uuid
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from _common import analyze, code_version, libpq_url, machine, server_version, wait_for_quiet
from _load import CHECKOUT, QUOTE, Phase, Target
from checkout import (
    BASKET,
    Server,
    add_tenant,
    console,
    fmt,
    free_port,
    run,
    setup,
    summarise,
    verdict,
)
from regulars.config import Settings
from regulars.domain.catalog.products import ProductDraft
from regulars.domain.stored_value.certificates import SeriesTerms
from regulars.domain.stored_value.goods import PurchaseTerms
from regulars.services.audit import audit
from regulars.services.catalog import products
from regulars.services.members import registration as member_registration
from regulars.services.members.members import MemberRef
from regulars.services.members.registration import Registration
from regulars.services.runtime import open_runtime
from regulars.services.stored_value import certificates, goods, wallets
from regulars.services.stored_value.certificates import IssueOrder
from regulars.services.stored_value.goods import Opening
from regulars.services.stored_value.wallets import PaidBy
from regulars.services.tenancy.api_keys import authenticate

CLIENTS = (8, 32)
ROUNDS = 2
TENDER_MINOR = 1000
CERTIFICATE_MINOR = 100_000_000
OTHER_CERTIFICATES = 200
OTHER_MEMBERS = 50
GOODS_CARDS = 20
TARGET_COST = 1.2
TARGET_QUOTE = 0.9


def _last_tenant(rt: Any) -> int:
    with rt.db.read() as conn:
        return int(conn.exec_driver_sql("SELECT max(id) FROM tenants").scalar_one())


def _certificates(url: str, count: int, amount_minor: int) -> list[str]:
    """``count`` certificates of ``amount_minor`` each, of a new series of the last tenant."""
    rt = open_runtime(Settings(database_url=url))
    try:
        tenant_id = _last_tenant(rt)
        series = certificates.create_series(rt, tenant_id, SeriesTerms(
            name="Gift card", min_minor=100, max_minor=CERTIFICATE_MINOR, valid_days=365),
                                            actor=audit.SYSTEM)
        done = certificates.issue(rt, tenant_id, IssueOrder(series_id=series.id, count=count,
                                                            amount_minor=amount_minor),
                                  actor=audit.SYSTEM)
        return list(done.codes)
    finally:
        rt.close()


def _stored_value_elsewhere(url: str, till_key: str) -> None:
    """Certificates, goods cards and wallets in the last tenant, none of them held by the
    members whose quotes are measured."""
    _certificates(url, OTHER_CERTIFICATES, 5000)
    rt = open_runtime(Settings(database_url=url))
    try:
        tenant_id = _last_tenant(rt)
        till = authenticate(rt, till_key)
        fuel = products.create(rt, tenant_id, ProductDraft(sku="A95", name="Petrol A-95",
                                                           price_minor=5500), actor=audit.SYSTEM).id
        for n in range(GOODS_CARDS):
            opened = goods.open_account(rt, tenant_id, Opening(product_id=fuel, unit="l"),
                                        actor=audit.SYSTEM)
            goods.top_up(rt, till, opened.account.id, PurchaseTerms(
                quantity_milli=50_000, paid_minor=275_000), key=f"bench-goods-{n}",
                payload={"n": n})
        for n in range(OTHER_MEMBERS):
            view, _ = member_registration.register(
                rt, tenant_id, Registration(phone=f"+44207946{n + 5000:04d}"))
            wallets.top_up(rt, till, MemberRef(id=view.id), amount_minor=10_000,
                           paid_by=PaidBy.CARD, key=f"bench-wallet-{n}", payload={"n": n})
    finally:
        rt.close()


def _targets(url: str, tag: str, args: argparse.Namespace) -> dict[str, Target]:
    def target(keys: list[str], phones: list[str],
               tenders: tuple[tuple[dict[str, Any], ...], ...] = ()) -> Target:
        return Target(host="127.0.0.1", port=args.port, till_keys=keys, phones=phones,
                      lines=BASKET, spend_points=args.spend_points, run_tag=tag,
                      tenders=tenders)

    keys, phones = setup(url)
    none = target(keys, phones)
    keys, phones = add_tenant(url, name="Bench tender")
    codes = _certificates(url, len(phones), CERTIFICATE_MINOR)
    tender = target(keys, phones, tuple(
        ({"kind": "certificate", "code": code, "amount": TENDER_MINOR},) for code in codes))
    keys, phones = add_tenant(url, name="Bench stored value elsewhere")
    _stored_value_elsewhere(url, keys[0])
    return {"none": none, "tender": tender, "elsewhere": target(keys, phones)}


def run_mode(args: argparse.Namespace) -> int:
    url = libpq_url(args.database_url)
    console.rule("regulars checkout benchmark: part paid by certificate, and quotes of members "
                 "without stored value")
    load = wait_for_quiet(console, args.wait_idle)
    args.port = args.port or free_port()
    with console.status("creating the database and three tenants"):
        targets = _targets(url, uuid.uuid4().hex[:8], args)
        analyze(url)
    console.print(f"machine: {machine()}; {server_version(url)}; code {code_version()}; "
                  f"background load {load:.0f} % of a core")
    log = Path(tempfile.gettempdir()) / f"regulars-bench-server-{args.port}.log"
    phases: dict[tuple[str, str, int], list[dict[str, Any]]] = {}
    server = Server(url, args.port, args.workers, log)
    try:
        with console.status(f"starting the server on port {args.port}"):
            server.wait_ready(timeout=900.0)
        with ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn")) as pool, \
                Progress(TextColumn("{task.description:<28}"), BarColumn(),
                         TimeElapsedColumn(), console=console) as bar:
            for side in ("none", "tender"):
                run(pool, targets[side], Phase(CHECKOUT, 8, 3.0, 0.0, args.client,
                                               label=f"warm-up {side}"), server, bar)
            for c in CLIENTS:
                for round_ in range(1, ROUNDS + 1):
                    for kind, sides in ((CHECKOUT, ("none", "tender")),
                                        (QUOTE, ("none", "elsewhere"))):
                        for side in sides:
                            phase = Phase(kind, c, args.seconds, args.warmup, args.client,
                                          label=f"{kind}-c{c}-{side}-{round_}")
                            phases.setdefault((kind, side, c), []).append(
                                summarise(run(pool, targets[side], phase, server, bar)))
    finally:
        server.stop()
    return _report(phases)


def _sum(phases: list[dict[str, Any]], latency: str) -> dict[str, Any]:
    done = sum(p["per_second"] * p["window_s"] for p in phases)
    window = sum(p["window_s"] for p in phases)
    cpu = sum(p["cpu_pct"]["server"] / 100 * p["window_s"] for p in phases)
    return {"per_second": done / window if window else 0.0,
            "server_cpu_ms": 1000 * cpu / done if done else math.nan,
            "p50_ms": max(p.get(f"{latency}_p50_ms", 0.0) for p in phases),
            "errors": sum(p["errors"] for p in phases),
            "samples": [s for p in phases for s in p["error_samples"]][:1],
            "rates": [p["per_second"] for p in phases]}


def _report(phases: dict[tuple[str, str, int], list[dict[str, Any]]]) -> int:
    table = Table(title="Same server, same run, alternating phases")
    for name in ("clients", "what", "none /s", "side /s", "ratio", "p50 ms none / side",
                 "server CPU ms none / side", "required", "errors", "verdict"):
        table.add_column(name, justify="right")
    ok_all = True
    for c in CLIENTS:
        for kind, side, latency in ((CHECKOUT, "tender", "commit"),
                                    (QUOTE, "elsewhere", "quote")):
            a = _sum(phases[(kind, "none", c)], latency)
            b = _sum(phases[(kind, side, c)], latency)
            ratio = b["per_second"] / a["per_second"] if a["per_second"] else 0.0
            if kind == CHECKOUT:
                slower = b["p50_ms"] / a["p50_ms"] if a["p50_ms"] else math.inf
                ok = ratio >= 1 / TARGET_COST and slower <= TARGET_COST
                required = f"≥ {1 / TARGET_COST:.2f}, p50 ≤ {TARGET_COST:.1f}×"
                what = "pairs, 10.00 by certificate"
            else:
                ok, required, what = ratio >= TARGET_QUOTE, f"≥ {TARGET_QUOTE:.2f}", \
                    "quotes, no stored value held"
            ok = ok and not a["errors"] and not b["errors"]
            ok_all &= ok
            table.add_row(str(c), what,
                          f"{fmt(a['per_second'], 0)} "
                          f"({' / '.join(fmt(r, 0) for r in a['rates'])})",
                          f"{fmt(b['per_second'], 0)} "
                          f"({' / '.join(fmt(r, 0) for r in b['rates'])})",
                          fmt(ratio, 2), f"{fmt(a['p50_ms'])} / {fmt(b['p50_ms'])}",
                          f"{fmt(a['server_cpu_ms'], 2)} / {fmt(b['server_cpu_ms'], 2)}",
                          required, str(a["errors"] + b["errors"]), verdict(ok))
            for sample in a["samples"] + b["samples"]:
                console.print(f"error sample: {sample}")
    console.print(table)
    return 0 if ok_all else 1
