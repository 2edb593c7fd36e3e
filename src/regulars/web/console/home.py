"""The console's home page: the last 30 days at a glance, with charts drawn on the server as
inline SVG (no JavaScript)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from fastapi import Request
from fastapi.responses import Response

from regulars.services.analytics import dashboard
from regulars.services.web_sessions.sessions import Permission
from regulars.web.console import router
from regulars.web.deps import RuntimeDep, StaffReader, needs
from regulars.web.templating import render

WIDTH, HEIGHT, TOP = 600, 150, 12


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    css: str
    title: str


def _scale(top: int) -> float:
    return (HEIGHT - TOP) / top if top else 0.0


def stacked(days: Sequence[str], lower: Sequence[int], upper: Sequence[int],
            titles: Sequence[str]) -> tuple[list[Bar], int]:
    """One bar per day, ``lower`` under ``upper``; and the tallest total (the axis top)."""
    top = max((a + b for a, b in zip(lower, upper, strict=True)), default=0)
    k, slot = _scale(top), WIDTH / max(len(days), 1)
    bars = []
    for i, (a, b, title) in enumerate(zip(lower, upper, titles, strict=True)):
        x = round(i * slot + slot * 0.15, 2)
        w = round(slot * 0.7, 2)
        bars.append(Bar(x, round(HEIGHT - a * k, 2), w, round(a * k, 2), "bar", title))
        bars.append(Bar(x, round(HEIGHT - (a + b) * k, 2), w, round(b * k, 2), "bar alt",
                        title))
    return bars, top


def paired(days: Sequence[str], left: Sequence[int], right: Sequence[int],
           titles: Sequence[str]) -> tuple[list[Bar], int]:
    """Two bars side by side per day; and the tallest (the axis top)."""
    top = max([*left, *right, 0])
    k, slot = _scale(top), WIDTH / max(len(days), 1)
    bars = []
    for i, (a, b, title) in enumerate(zip(left, right, titles, strict=True)):
        w = round(slot * 0.38, 2)
        x = round(i * slot + slot * 0.1, 2)
        bars.append(Bar(x, round(HEIGHT - a * k, 2), w, round(a * k, 2), "bar", title))
        bars.append(Bar(round(x + w, 2), round(HEIGHT - b * k, 2), w, round(b * k, 2),
                        "bar alt", title))
    return bars, top


@router.get("", dependencies=[needs(Permission.VIEW)])
def home(request: Request, runtime: RuntimeDep, reader: StaffReader) -> Response:
    assert reader.session is not None
    board = dashboard.last_30_days(runtime, reader.session.tenant_id)
    labels = [reader.date(d.day) for d in board.days]
    receipts_chart = stacked(
        labels, [d.member_receipts for d in board.days],
        [d.anonymous_receipts for d in board.days],
        [reader.gettext("%(day)s: %(members)s with a member, %(anonymous)s anonymous",
                        day=label, members=d.member_receipts, anonymous=d.anonymous_receipts)
         for label, d in zip(labels, board.days, strict=True)])
    points_chart = paired(
        labels, [d.points_issued for d in board.days], [d.points_spent for d in board.days],
        [reader.gettext("%(day)s: %(issued)s issued, %(spent)s spent", day=label,
                        issued=reader.number(d.points_issued),
                        spent=reader.number(d.points_spent))
         for label, d in zip(labels, board.days, strict=True)])
    return render(request, "console/home.html", reader, board=board,
                  receipts_chart=receipts_chart, points_chart=points_chart,
                  chart_size=(WIDTH, HEIGHT), first_label=labels[0], last_label=labels[-1])
