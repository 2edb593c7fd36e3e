"""Receipts for the console: filtered pages, one receipt with everything that priced it, and
refunds made from the console on behalf of the receipt's own till."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from regulars.db.checkout import receipts
from regulars.db.checkout import receipts_view as store
from regulars.db.tenancy import tenancy
from regulars.errors import InvalidInput, NotFound
from regulars.services.checkout import checkout, reason_names
from regulars.services.members import members
from regulars.services.members.members import MemberRef
from regulars.services.results import to_json
from regulars.services.runtime import Runtime
from regulars.services.tenancy.api_keys import Principal
from regulars.services.tenancy.tenants import get_tenant
from regulars.text import i18n
from regulars.text.wording import render_code

MAX_PAGE = 200


@dataclass(frozen=True, kw_only=True)
class Filters:
    """What a console reader narrows the list by; dates are local to the tenant, inclusive."""

    store_id: int | None = None
    terminal_id: int | None = None
    phone: str | None = None
    date_from: date | None = None
    date_to: date | None = None


def _jsonable(row: dict[str, Any]) -> dict[str, Any]:
    return {k: v.isoformat() if isinstance(v, datetime) else v for k, v in row.items()}


def list_page(rt: Runtime, tenant_id: int, filters: Filters, *, limit: int = 50,
              offset: int = 0) -> dict[str, Any]:
    """A page of receipts matching ``filters``, newest first, with the stores and tills to
    filter by. ``has_more`` says whether another page follows. Raises :class:`InvalidInput`
    for a phone that is not one (field ``phone``) or a reversed date range (``date_to``)."""
    if not 1 <= limit <= MAX_PAGE or offset < 0:
        raise InvalidInput(f"limit must lie between 1 and {MAX_PAGE}", field="limit")
    if filters.date_from and filters.date_to and filters.date_to < filters.date_from:
        raise InvalidInput("the end date lies before the start date", field="date_to")
    tenant = get_tenant(rt, tenant_id)
    phone = (members.normalize_phone(filters.phone, tenant.phone_region, field="phone")
             if filters.phone else None)
    zone = ZoneInfo(tenant.timezone)
    since = (datetime.combine(filters.date_from, time(), zone)
             if filters.date_from else None)
    until = (datetime.combine(filters.date_to + timedelta(days=1), time(), zone)
             if filters.date_to else None)
    with rt.db.read() as conn:
        stores = tenancy.list_stores(conn, tenant_id)
        tills = tenancy.list_terminals(conn, tenant_id)
        member_id = None
        rows: list[dict[str, Any]] = []
        if phone:
            found = members.find(conn, tenant_id, tenant.phone_region, MemberRef(phone=phone))
            member_id = found.id if found else None
        if not phone or member_id is not None:
            rows = store.list_receipts(conn, tenant_id, store_id=filters.store_id,
                                       terminal_id=filters.terminal_id, member_id=member_id,
                                       since=since, until=until, limit=limit + 1,
                                       offset=offset)
    return {"receipts": [_jsonable(r) for r in rows[:limit]], "has_more": len(rows) > limit,
            "stores": [{"id": s["id"], "name": s["name"]} for s in stores],
            "tills": [{"id": t["id"], "name": t["name"], "store_id": t["store_id"]}
                      for t in tills]}


def detail(rt: Runtime, tenant_id: int, receipt_id: int, *,
           locale: str | None = None) -> dict[str, Any]:
    """One receipt: its lines, refunds, store, till and cashier, the promotions, coupons and
    catalogue reward (``None``: none) it got, with their terms, and the explanations of its
    figures in ``locale``. Raises :class:`NotFound`."""
    tenant = get_tenant(rt, tenant_id)
    with rt.db.read() as conn:
        row = receipts.get_receipt(conn, tenant_id, receipt_id)
        if row is None:
            raise NotFound("receipt not found")
        view: dict[str, Any] = to_json(checkout.receipt_view(conn, tenant_id, row))
        places = store.places(conn, tenant_id, receipt_id) or {}
        applied = store.promotions_applied(conn, tenant_id, receipt_id)
        used = store.coupons_used(conn, tenant_id, receipt_id)
        member = (members.view(conn, tenant_id, row["member_id"], rt)
                  if row["member_id"] is not None else None)
        response = row["response"] or {}
        why = reason_names.named(conn, tenant_id, response.get("explanations", []),
                                 language=i18n.language_of(locale or tenant.locale) or "en")
    priced = {ln.get("line_no"): ln for ln in response.get("lines", [])}
    for line in view["lines"]:
        line["priced"] = priced.get(line["line_no"], {})
        line["left_milli"] = line["quantity_milli"] - line["refunded_quantity_milli"]
    explanations = [render_code(e["code"], e.get("params", {}), locale=locale or tenant.locale,
                                currency=tenant.currency)
                    if "params" in e else e.get("text", "")
                    for e in why]
    return {**view, **places, "member": member, "reward": response.get("reward"),
            "promotions": [{"id": a["promotion_id"], "version": a["version"],
                            "name": a["definition"].get("name", ""),
                            "condition": a["definition"].get("condition", ""),
                            "effects": a["definition"].get("effects", []),
                            "discount_minor": a["discount_minor"], "points": a["points"],
                            "refunded_discount_minor": a["refunded_discount_minor"],
                            "refunded_points": a["refunded_points"],
                            "cashback_minor": a["cashback_minor"],
                            "refunded_cashback_minor": a["refunded_cashback_minor"]}
                           for a in applied],
            "coupons": [{"series_id": u["series_id"], "name": u["name"], "effect": u["effect"],
                         "discount_minor": u["discount_minor"], "points": u["points"],
                         "returned": u["returned_at"] is not None} for u in used],
            "explanations": explanations,
            "refundable": row["status"] in ("committed", "partially_refunded")}


def refund(rt: Runtime, tenant_id: int, receipt_id: int,
           lines: list[tuple[int, int]] | None, *, key: str) -> dict[str, Any]:
    """Refund ``lines`` (``(line_no, quantity_milli)``; ``None``: all that is left) from the
    console, on behalf of the till that rang the receipt up, through the same use case as a
    till's refund (so the same idempotency, points and budget rules apply). Idempotent by
    ``key``. Raises :class:`NotFound`, :class:`RefundRefused`, :class:`InvalidInput`."""
    if not key or len(key) > 200:
        raise InvalidInput("the form has no refund key; reload the page", field="_form")
    with rt.db.read() as conn:
        row = receipts.get_receipt(conn, tenant_id, receipt_id)
    if row is None:
        raise NotFound("receipt not found")
    till = Principal(tenant_id=tenant_id, kind="till", key_id=0,
                     terminal_id=row["terminal_id"], store_id=row["store_id"])
    payload = {"receipt": receipt_id, "console": True,
               "lines": None if lines is None else [list(line) for line in lines]}
    outcome = checkout.refund(rt, till, receipt_id, lines, key=f"console:{key}",
                              payload=payload)
    return outcome.body
