"""Console pages: the product list cashiers pick items from. Search, add, edit, mark a
favourite (a quick key at the till), deactivate, and import a CSV list, every problem shown
beside its field (or by line, for an import) with what was typed kept."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData, UploadFile

from regulars.domain.catalog.products import Problem, ProductDraft, parse_price
from regulars.errors import RegularsError
from regulars.services.catalog import products
from regulars.services.catalog.products import ImportRefused, Product
from regulars.services.web_sessions.sessions import Permission
from regulars.web.console import router
from regulars.web.console.pagekit import PAGE_SIZE, form_errors, page_number, staff_actor, text
from regulars.web.deps import Form, RuntimeDep, StaffReader, needs
from regulars.web.forms import amount_text
from regulars.web.templating import Reader, render

VIEW = [needs(Permission.VIEW)]
EDIT = [needs(Permission.MARKETING_EDIT)]
FIELDS = ("sku", "name", "price", "category")
# The service's field names, as the form spells them.
FORM_FIELD = {"price_minor": "price"}


def _tenant(reader: Reader) -> int:
    assert reader.session is not None
    return reader.session.tenant_id


def _message(problem: Problem, reader: Reader) -> str:
    return reader.gettext(problem.message, **problem.params)


def _draft(form: FormData, reader: Reader) -> tuple[dict[str, str], ProductDraft,
                                                    dict[str, str]]:
    """The form as typed, the product it describes, and every problem found, by field."""
    values = {name: text(form, name, 300).strip() for name in FIELDS}
    values["favourite"] = "1" if form.get("favourite") else ""
    errors: dict[str, str] = {}
    price = 0
    try:
        price = parse_price(values["price"], digits=reader.minor_digits())
    except ValueError as exc:
        errors["price"] = reader.gettext(str(exc), digits=reader.minor_digits())
    draft = ProductDraft(sku=values["sku"], name=values["name"], price_minor=price,
                         category=values["category"], favourite=bool(values["favourite"]))
    for problem in products.check(draft):
        errors.setdefault(FORM_FIELD.get(problem.field, problem.field),
                          _message(problem, reader))
    return values, draft, errors


def _list_page(request: Request, runtime: RuntimeDep, reader: Reader, *, q: str = "",
               page: int = 1, values: dict[str, str] | None = None,
               errors: dict[str, str] | None = None, csv_text: str = "",
               import_problems: tuple[Problem, ...] = (), done: str = "",
               status_code: int = 200) -> Response:
    found = products.list_page(runtime, _tenant(reader), text=q or None, limit=PAGE_SIZE,
                               offset=(page - 1) * PAGE_SIZE)
    return render(request, "console/products.html", reader, status_code=status_code,
                  q=q, page=page, found=found, has_more=page * PAGE_SIZE < found.total,
                  values=values or {}, errors=errors or {}, csv_text=csv_text,
                  import_problems=[(p.line, p.field, _message(p, reader))
                                   for p in import_problems],
                  done=done)


@router.get("/products", dependencies=VIEW)
def products_page(request: Request, runtime: RuntimeDep, reader: StaffReader, q: str = "",
                  page: str = "1", done: str = "") -> Response:
    return _list_page(request, runtime, reader, q=q[:100], page=page_number(page), done=done)


@router.post("/products", dependencies=EDIT)
def add_product(request: Request, runtime: RuntimeDep, reader: StaffReader,
                form: Form) -> Response:
    values, draft, errors = _draft(form, reader)
    if not errors:
        try:
            products.create(runtime, _tenant(reader), draft, actor=staff_actor(reader))
        except RegularsError as exc:
            errors = {FORM_FIELD.get(k, k): v for k, v in form_errors(exc, reader).items()}
    if errors:
        return _list_page(request, runtime, reader, values=values, errors=errors,
                          status_code=422)
    return RedirectResponse("/console/products?done=added", status_code=303)


async def _csv_of(form: FormData) -> str:
    """The uploaded file's text (closed once read), else the pasted text."""
    upload = form.get("file")
    if isinstance(upload, UploadFile):
        try:
            raw = await upload.read(products.MAX_CSV_CHARS + 1) if upload.filename else b""
        finally:
            await upload.close()
        if raw:
            return raw.decode("utf-8-sig", errors="replace")
    return text(form, "csv", products.MAX_CSV_CHARS + 1)


@router.post("/products/import", dependencies=EDIT)
async def import_products(request: Request, runtime: RuntimeDep, reader: StaffReader,
                          form: Form) -> Response:
    csv_text = await _csv_of(form)
    try:
        report = products.import_csv(runtime, _tenant(reader), csv_text, actor=staff_actor(reader))
    except ImportRefused as exc:
        return _list_page(request, runtime, reader, csv_text=csv_text[:100_000],
                          import_problems=exc.problems, status_code=422)
    except RegularsError as exc:
        return _list_page(request, runtime, reader, csv_text=csv_text[:100_000],
                          errors=form_errors(exc, reader), status_code=422)
    return RedirectResponse(f"/console/products?done=imported-{report.created}-"
                            f"{report.updated}", status_code=303)


def _edit_page(request: Request, reader: Reader, product: Product, *,
               values: dict[str, str] | None = None, errors: dict[str, str] | None = None,
               done: str = "", status_code: int = 200) -> Response:
    shown = values or {"sku": product.sku, "name": product.name,
                       "price": amount_text(product.price_minor, reader.minor_digits()),
                       "category": product.category,
                       "favourite": "1" if product.favourite else ""}
    return render(request, "console/product.html", reader, status_code=status_code,
                  product=product, values=shown, errors=errors or {}, done=done)


@router.get("/products/{product_id}", dependencies=VIEW)
def product_page(request: Request, runtime: RuntimeDep, reader: StaffReader, product_id: int,
                 done: str = "") -> Response:
    return _edit_page(request, reader, products.get(runtime, _tenant(reader), product_id),
                      done=done)


@router.post("/products/{product_id}", dependencies=EDIT)
def edit_product(request: Request, runtime: RuntimeDep, reader: StaffReader, product_id: int,
                 form: Form) -> Response:
    product = products.get(runtime, _tenant(reader), product_id)
    values, draft, errors = _draft(form, reader)
    if not errors:
        try:
            products.update(runtime, _tenant(reader), product_id, draft, actor=staff_actor(reader))
        except RegularsError as exc:
            errors = {FORM_FIELD.get(k, k): v for k, v in form_errors(exc, reader).items()}
    if errors:
        return _edit_page(request, reader, product, values=values, errors=errors,
                          status_code=422)
    return RedirectResponse(f"/console/products/{product_id}?done=saved", status_code=303)


@router.post("/products/{product_id}/active", dependencies=EDIT)
def set_active(runtime: RuntimeDep, reader: StaffReader, product_id: int,
               form: Form) -> Response:
    active = form.get("active") == "1"
    products.set_active(runtime, _tenant(reader), product_id, active=active,
                        actor=staff_actor(reader))
    done = "activated" if active else "deactivated"
    return RedirectResponse(f"/console/products/{product_id}?done={done}", status_code=303)
