"""Picking items from the product list at the till: the favourites as quick keys, or the
products whose name or SKU matches what the cashier types (an htmx fragment)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query, Request
from fastapi.responses import Response

from regulars.services.catalog import products
from regulars.web.deps import CashierSession, RuntimeDep
from regulars.web.forms import amount_text
from regulars.web.templating import render
from regulars.web.terminal import reader_of, router


@router.get("/products")
def picks(request: Request, runtime: RuntimeDep, cashier: CashierSession,
          q: Annotated[str, Query(max_length=200)] = "") -> Response:
    reader = reader_of(runtime, request, cashier)
    found = products.pick(runtime, cashier.tenant_id, q)
    digits = reader.minor_digits()
    return render(request, "terminal/_picks.html", reader, q=q.strip(),
                  picks=[(p, amount_text(p.price_minor, digits)) for p in found])
