"""``/v1/admin/feedback``: members' ratings of their visits (figures per store and cashier,
the comments, answering one), and ``/v1/admin/faq``: the business's questions and answers
per language, in order."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response
from pydantic import ConfigDict, Field

from regulars import errors
from regulars.api.deps import ISO_DAY, Offset, Owner, PathId, Reader, RuntimeDep, query_day
from regulars.api.errors_doc import responses
from regulars.api.pos_schemas import Out, examples
from regulars.api.schemas import Strict
from regulars.domain.feedback.rules import MAX_ANSWER, MAX_QUESTION, MAX_REPLY, Figures
from regulars.services.audit import audit
from regulars.services.feedback import faq, report
from regulars.services.feedback.report import GroupFigures

router = APIRouter(prefix="/v1/admin", tags=["admin"])
NF = responses(errors.NotFound)
BAD = responses(errors.InvalidInput)
Language = Literal["en", "ru", "uk", "bg"]
FIGURES: dict[str, Any] = {"count": 12, "average": 4.3, "distribution": [0, 1, 1, 3, 7]}


def _range(rt: Any, tenant_id: int, first: str | None, last: str | None
           ) -> tuple[date, date]:
    since, until = report.default_range(rt, tenant_id)
    return query_day(first, "from") or since, query_day(last, "to") or until


From = Annotated[str | None, Query(alias="from", pattern=ISO_DAY)]
To = Annotated[str | None, Query(alias="to", pattern=ISO_DAY)]


class FiguresOut(Out):
    """``average`` to a tenth (null without ratings); ``distribution``: how many of each
    rating, 1 to 5."""

    model_config = examples(FIGURES)

    count: int
    average: float | None
    distribution: list[int]


class GroupOut(Out):
    model_config = examples({"id": 2, "name": "Main street", **FIGURES})

    id: int | None
    name: str | None
    count: int
    average: float | None
    distribution: list[int]


class FeedbackSummaryOut(Out):
    """Ratings given from ``from`` to ``to`` (days in the business's time zone): all of
    them, per store and per cashier (``id`` null: receipts without a cashier)."""

    model_config = examples({"from": "2026-11-01", "to": "2026-11-30", "total": FIGURES,
                             "stores": [{"id": 2, "name": "Main street", **FIGURES}],
                             "cashiers": [{"id": 5, "name": "Olga", **FIGURES}]})

    from_: date = Field(alias="from", serialization_alias="from")
    to: date
    total: FiguresOut
    stores: list[GroupOut]
    cashiers: list[GroupOut]


class FeedbackCommentOut(Out):
    model_config = examples({
        "id": 7, "receipt_id": 120, "member_id": 42, "store_id": 2,
        "store_name": "Main street", "staff_id": 5, "staff_name": "Olga", "rating": 2,
        "comment": "The coffee was cold.", "created_at": "2026-11-20T09:30:00Z",
        "reply": None, "answered_at": None})

    id: int
    receipt_id: int
    member_id: int
    store_id: int
    store_name: str
    staff_id: int | None
    staff_name: str | None
    rating: int
    comment: str
    created_at: datetime
    reply: str | None
    answered_at: datetime | None


class AnswerIn(Strict):
    """Mark a rating answered; ``reply``, if given, is shown to the member with it."""

    model_config = ConfigDict(strict=True, extra="forbid", frozen=True,
                              json_schema_extra={"examples": [{"reply": "Sorry about that!"}]})

    reply: Annotated[str, Field(max_length=MAX_REPLY)] | None = None


class FaqEntryIn(Strict):
    model_config = ConfigDict(strict=True, extra="forbid", frozen=True, json_schema_extra={
        "examples": [{"language": "en", "question": "Do points expire?",
                      "answer": "Yes, a year after you earn them."}]})

    language: Language
    question: Annotated[str, Field(min_length=1, max_length=MAX_QUESTION)]
    answer: Annotated[str, Field(min_length=1, max_length=MAX_ANSWER)]


class FaqChangeIn(Strict):
    model_config = ConfigDict(strict=True, extra="forbid", frozen=True, json_schema_extra={
        "examples": [{"question": "Do points expire?",
                      "answer": "Yes, a year after you earn them."}]})

    question: Annotated[str, Field(min_length=1, max_length=MAX_QUESTION)]
    answer: Annotated[str, Field(min_length=1, max_length=MAX_ANSWER)]


class FaqMoveIn(Strict):
    model_config = ConfigDict(strict=True, extra="forbid", frozen=True,
                              json_schema_extra={"examples": [{"direction": "up"}]})

    direction: Literal["up", "down"]


class FaqEntryOut(Out):
    model_config = examples({"id": 3, "language": "en", "position": 1,
                             "question": "Do points expire?",
                             "answer": "Yes, a year after you earn them.",
                             "updated_at": "2026-11-20T09:30:00Z"})

    id: int
    language: str
    position: int
    question: str
    answer: str
    updated_at: datetime


def _figures(f: Figures) -> dict[str, Any]:
    tenths = f.average_tenths
    return {"count": f.count, "average": None if tenths is None else tenths / 10,
            "distribution": list(f.distribution)}


def _group(g: GroupFigures) -> GroupOut:
    return GroupOut(id=g.id, name=g.name, **_figures(g.figures))


@router.get("/feedback/summary", response_model=FeedbackSummaryOut, responses=BAD)
def feedback_summary(owner: Reader, rt: RuntimeDep, first: From = None,
                     last: To = None) -> FeedbackSummaryOut:
    since, until = _range(rt, owner.tenant_id, first, last)
    found = report.summary(rt, owner.tenant_id, since=since, until=until)
    return FeedbackSummaryOut.model_validate({
        "from": found.since, "to": found.until, "total": _figures(found.total),
        "stores": [_group(g) for g in found.stores],
        "cashiers": [_group(g) for g in found.cashiers]})


@router.get("/feedback", response_model=list[FeedbackCommentOut], responses=BAD)
def list_feedback(owner: Reader, rt: RuntimeDep, first: From = None, last: To = None,
                  answered: bool | None = None,
                  limit: Annotated[int, Query(ge=1, le=200)] = 50,
                  offset: Offset = 0) -> list[FeedbackCommentOut]:
    """The ratings with a comment, newest first; ``answered`` picks answered or not."""
    since, until = _range(rt, owner.tenant_id, first, last)
    return [FeedbackCommentOut.model_validate(c) for c in report.comments(
        rt, owner.tenant_id, since=since, until=until, answered=answered, limit=limit,
        offset=min(offset, 1_000_000))]


@router.post("/feedback/{feedback_id}/answer", status_code=204,
             responses=responses(errors.NotFound, errors.InvalidInput))
def answer_feedback(feedback_id: PathId, body: AnswerIn, owner: Owner,
                    rt: RuntimeDep) -> Response:
    report.answer(rt, owner.tenant_id, feedback_id, reply=body.reply,
                  actor=audit.key(owner.key_id))
    return Response(status_code=204)


@router.get("/faq", response_model=list[FaqEntryOut])
def list_faq(owner: Reader, rt: RuntimeDep, language: Language | None = None
             ) -> list[FaqEntryOut]:
    return [FaqEntryOut.model_validate(e) for e in faq.list_entries(rt, owner.tenant_id,
                                                                    language)]


@router.post("/faq", status_code=201, response_model=FaqEntryOut, responses=BAD)
def add_faq(body: FaqEntryIn, owner: Owner, rt: RuntimeDep) -> FaqEntryOut:
    """A new entry at the end of its language's list."""
    return FaqEntryOut.model_validate(faq.add(
        rt, owner.tenant_id, language=body.language, question=body.question,
        answer=body.answer, actor=audit.key(owner.key_id)))


@router.get("/faq/{entry_id}", response_model=FaqEntryOut, responses=NF)
def get_faq(entry_id: PathId, owner: Reader, rt: RuntimeDep) -> FaqEntryOut:
    return FaqEntryOut.model_validate(faq.get_entry(rt, owner.tenant_id, entry_id))


@router.put("/faq/{entry_id}", response_model=FaqEntryOut,
            responses=responses(errors.NotFound, errors.InvalidInput))
def change_faq(entry_id: PathId, body: FaqChangeIn, owner: Owner,
               rt: RuntimeDep) -> FaqEntryOut:
    return FaqEntryOut.model_validate(faq.change(
        rt, owner.tenant_id, entry_id, question=body.question, answer=body.answer,
        actor=audit.key(owner.key_id)))


@router.post("/faq/{entry_id}/move", response_model=list[FaqEntryOut], responses=NF)
def move_faq(entry_id: PathId, body: FaqMoveIn, owner: Owner,
             rt: RuntimeDep) -> list[FaqEntryOut]:
    """Swap the entry with its neighbour above or below; its language's list as it now is."""
    return [FaqEntryOut.model_validate(e) for e in faq.move(
        rt, owner.tenant_id, entry_id, up=body.direction == "up",
        actor=audit.key(owner.key_id))]


@router.delete("/faq/{entry_id}", status_code=204, responses=NF)
def delete_faq(entry_id: PathId, owner: Owner, rt: RuntimeDep) -> Response:
    faq.delete(rt, owner.tenant_id, entry_id, actor=audit.key(owner.key_id))
    return Response(status_code=204)
