"""Console pages: the members' ratings of their visits (figures per store and cashier over a
range of days, the comments with a reply or "answered" mark) and the FAQ the customer page
shows (entries per language: add, change, move up or down, delete)."""

from __future__ import annotations

from datetime import date

from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData

from regulars.domain.feedback.rules import MAX_ANSWER, MAX_QUESTION, MAX_REPLY
from regulars.errors import InvalidInput
from regulars.services.feedback import faq, report
from regulars.services.runtime import Runtime
from regulars.services.web_sessions.sessions import Permission
from regulars.text.i18n import LANGUAGES
from regulars.web.console import router
from regulars.web.console.pagekit import form_errors, page_number, staff_actor, text
from regulars.web.deps import Form, RuntimeDep, StaffReader, needs
from regulars.web.templating import Reader, render

VIEW = [needs(Permission.VIEW)]
EDIT = [needs(Permission.MARKETING_EDIT)]
COMMENTS_PAGE = 25
SHOWS = ("open", "answered", "all")


def _tenant(reader: Reader) -> int:
    assert reader.session is not None
    return reader.session.tenant_id


def _day(raw: str | None, fallback: date) -> date:
    try:
        return date.fromisoformat(raw) if raw else fallback
    except ValueError:
        return fallback


@router.get("/feedback", dependencies=VIEW)
def feedback_page(request: Request, runtime: RuntimeDep, reader: StaffReader) -> Response:
    since, until = report.default_range(runtime, _tenant(reader))
    q = request.query_params
    since, until = _day(q.get("from"), since), _day(q.get("to"), until)
    show = str(q.get("show") or "open")
    show = show if show in SHOWS else "open"
    page = page_number(q.get("page"))
    errors: dict[str, str] = {}
    try:
        summary = report.summary(runtime, _tenant(reader), since=since, until=until)
    except InvalidInput as exc:
        errors = form_errors(exc, reader)
        since, until = report.default_range(runtime, _tenant(reader))
        summary = report.summary(runtime, _tenant(reader), since=since, until=until)
    comments = report.comments(
        runtime, _tenant(reader), since=since, until=until,
        answered={"open": False, "answered": True}.get(show), limit=COMMENTS_PAGE + 1,
        offset=(page - 1) * COMMENTS_PAGE)
    return render(request, "console/feedback.html", reader, summary=summary,
                  comments=comments[:COMMENTS_PAGE], more=len(comments) > COMMENTS_PAGE,
                  page=page, show=show, errors=errors, max_reply=MAX_REPLY,
                  done=str(q.get("done") or "")[:20])


@router.post("/feedback/{feedback_id}/answer", dependencies=EDIT)
def answer(runtime: RuntimeDep, reader: StaffReader, feedback_id: int,
           form: Form) -> Response:
    report.answer(runtime, _tenant(reader), feedback_id,
                  reply=text(form, "reply", MAX_REPLY + 1), actor=staff_actor(reader))
    back = text(form, "back", 300)
    target = back if back.startswith("/console/feedback") else "/console/feedback"
    joiner = "&" if "?" in target else "?"
    return RedirectResponse(f"{target}{joiner}done=answered", status_code=303)


def _faq_page(request: Request, runtime: Runtime, reader: Reader, *, status_code: int = 200,
              errors: dict[str, str] | None = None, values: dict[str, str] | None = None,
              editing: int | None = None, done: str = "") -> Response:
    entries = faq.list_entries(runtime, _tenant(reader))
    by_language = {code: [e for e in entries if e.language == code] for code in LANGUAGES}
    return render(request, "console/faq.html", reader, status_code=status_code,
                  by_language=by_language, errors=errors or {}, values=values or {},
                  editing=editing, done=done, max_question=MAX_QUESTION,
                  max_answer=MAX_ANSWER)


def _entry_values(form: FormData) -> dict[str, str]:
    return {"language": text(form, "language", 2),
            "question": text(form, "question", MAX_QUESTION + 1),
            "answer": text(form, "answer", MAX_ANSWER + 1)}


@router.get("/faq", dependencies=EDIT)
def faq_list(request: Request, runtime: RuntimeDep, reader: StaffReader,
             done: str = "") -> Response:
    return _faq_page(request, runtime, reader, done=done[:20])


@router.post("/faq", dependencies=EDIT)
def faq_add(request: Request, runtime: RuntimeDep, reader: StaffReader,
            form: Form) -> Response:
    values = _entry_values(form)
    try:
        faq.add(runtime, _tenant(reader), actor=staff_actor(reader), **values)
    except InvalidInput as exc:
        return _faq_page(request, runtime, reader, status_code=422, values=values,
                         errors=form_errors(exc, reader))
    return RedirectResponse("/console/faq?done=added", status_code=303)


@router.post("/faq/{entry_id}", dependencies=EDIT)
def faq_change(request: Request, runtime: RuntimeDep, reader: StaffReader, entry_id: int,
               form: Form) -> Response:
    values = _entry_values(form)
    try:
        faq.change(runtime, _tenant(reader), entry_id, question=values["question"],
                   answer=values["answer"], actor=staff_actor(reader))
    except InvalidInput as exc:
        return _faq_page(request, runtime, reader, status_code=422, values=values,
                         errors=form_errors(exc, reader), editing=entry_id)
    return RedirectResponse(f"/console/faq?done=saved#faq-{entry_id}", status_code=303)


@router.post("/faq/{entry_id}/move", dependencies=EDIT)
def faq_move(runtime: RuntimeDep, reader: StaffReader, entry_id: int,
             form: Form) -> Response:
    faq.move(runtime, _tenant(reader), entry_id, up=text(form, "direction", 4) == "up",
             actor=staff_actor(reader))
    return RedirectResponse(f"/console/faq#faq-{entry_id}", status_code=303)


@router.post("/faq/{entry_id}/delete", dependencies=EDIT)
def faq_delete(runtime: RuntimeDep, reader: StaffReader, entry_id: int) -> Response:
    faq.delete(runtime, _tenant(reader), entry_id, actor=staff_actor(reader))
    return RedirectResponse("/console/faq?done=deleted", status_code=303)
