"""``/v1/admin/products``: the business's product list, which cashiers pick items from at
the till (SKU, name, price in minor units, category, favourite for a quick key)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import ConfigDict, Field

from regulars import errors
from regulars.api.deps import Offset, Owner, PathId, Reader, RuntimeDep
from regulars.api.errors_doc import responses
from regulars.api.pos_schemas import Out, examples
from regulars.api.schemas import Strict
from regulars.domain.catalog.products import (
    MAX_CATEGORY_CHARS,
    MAX_NAME_CHARS,
    MAX_PRICE_MINOR,
    MAX_SKU_CHARS,
)
from regulars.services.audit import audit
from regulars.services.catalog import products
from regulars.services.catalog.products import (
    MAX_CSV_CHARS,
    ImportReport,
    Product,
    ProductDraft,
    ProductPage,
)

router = APIRouter(prefix="/v1/admin/products", tags=["admin"])
NF = responses(errors.NotFound)
EXAMPLE: dict[str, Any] = {"id": 7, "sku": "CAP-M", "name": "Cappuccino, medium",
                           "price_minor": 350, "category": "coffee", "favourite": True,
                           "active": True}


class ProductIn(Strict):
    """A product: ``price_minor`` in the currency's minor units (350 is 3.50)."""

    model_config = ConfigDict(strict=True, extra="forbid", frozen=True, json_schema_extra={
        "examples": [{k: v for k, v in EXAMPLE.items() if k not in ("id", "active")}]})

    sku: Annotated[str, Field(min_length=1, max_length=MAX_SKU_CHARS, pattern=r"^\S+$")]
    name: Annotated[str, Field(min_length=1, max_length=MAX_NAME_CHARS)]
    price_minor: Annotated[int, Field(ge=0, le=MAX_PRICE_MINOR)]
    category: Annotated[str, Field(max_length=MAX_CATEGORY_CHARS)] = ""
    favourite: bool = False

    def to_draft(self) -> ProductDraft:
        return ProductDraft(sku=self.sku, name=self.name, price_minor=self.price_minor,
                            category=self.category, favourite=self.favourite)


class ProductImportIn(Strict):
    """A product list as CSV text: a header row naming ``sku``, ``name``, ``price``
    (an amount as people write it, ``3.50``) and optionally ``category`` and ``favourite``
    (yes/no); commas, semicolons or tabs between the columns."""

    model_config = ConfigDict(strict=True, extra="forbid", frozen=True, json_schema_extra={
        "examples": [{"csv": "sku,name,price,category,favourite\n"
                              "CAP-M,Cappuccino,3.50,coffee,yes\n"}]})

    csv: Annotated[str, Field(min_length=1, max_length=MAX_CSV_CHARS)]


class ProductOut(Out):
    model_config = examples(EXAMPLE)

    id: int
    sku: str
    name: str
    price_minor: int
    category: str
    favourite: bool
    active: bool


class ProductPageOut(Out):
    model_config = examples({"items": [EXAMPLE], "total": 1})

    items: list[ProductOut]
    total: int


class ImportOut(Out):
    """How many products the import created and how many it changed (matched by SKU)."""

    model_config = examples({"created": 12, "updated": 3})

    created: int
    updated: int


@router.post("", status_code=201, response_model=ProductOut,
             responses=responses(errors.InvalidInput, errors.Conflict))
def create_product(body: ProductIn, owner: Owner, rt: RuntimeDep) -> Product:
    """A new product; 409 on ``sku`` when the business has one with that SKU."""
    return products.create(rt, owner.tenant_id, body.to_draft(), actor=audit.key(owner.key_id))


@router.get("", response_model=ProductPageOut, responses=responses(errors.InvalidInput))
def list_products(owner: Reader, rt: RuntimeDep,
                  q: Annotated[str | None, Query(max_length=200)] = None,
                  limit: Annotated[int, Query(ge=1, le=products.MAX_PAGE)] = 50,
                  offset: Offset = 0) -> ProductPage:
    """Products, active first and by name; ``q`` matches the name (any case) or the start of
    the SKU."""
    return products.list_page(rt, owner.tenant_id, text=q, limit=limit, offset=offset)


@router.post("/import", response_model=ImportOut,
             responses=responses(errors.InvalidInput, errors.Conflict))
def import_products(body: ProductImportIn, owner: Owner, rt: RuntimeDep) -> ImportReport:
    """Create or change (by SKU) every product of the list, or none: a list with a problem
    answers 422 on ``csv`` naming the first problem's line and column."""
    return products.import_csv(rt, owner.tenant_id, body.csv, actor=audit.key(owner.key_id))


@router.get("/{product_id:int}", response_model=ProductOut, responses=NF)
def get_product(product_id: PathId, owner: Reader, rt: RuntimeDep) -> Product:
    return products.get(rt, owner.tenant_id, product_id)


@router.put("/{product_id:int}", response_model=ProductOut, responses=responses(
    errors.NotFound, errors.InvalidInput, errors.Conflict))
def put_product(product_id: PathId, body: ProductIn, owner: Owner, rt: RuntimeDep) -> Product:
    """Replace the product's fields (receipts keep the price they were sold at)."""
    return products.update(rt, owner.tenant_id, product_id, body.to_draft(),
                           actor=audit.key(owner.key_id))


@router.post("/{product_id:int}/deactivate", response_model=ProductOut, responses=NF)
def deactivate_product(product_id: PathId, owner: Owner, rt: RuntimeDep) -> Product:
    """Take the product off the till; it stays in the list, and can come back."""
    return products.set_active(rt, owner.tenant_id, product_id, active=False,
                               actor=audit.key(owner.key_id))


@router.post("/{product_id:int}/activate", response_model=ProductOut, responses=NF)
def activate_product(product_id: PathId, owner: Owner, rt: RuntimeDep) -> Product:
    return products.set_active(rt, owner.tenant_id, product_id, active=True,
                               actor=audit.key(owner.key_id))
