"""Bar charts drawn on the server as SVG shapes the templates place (no JavaScript, no
styles in the markup: the bars' look is in ``regulars.css``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

WIDTH, HEIGHT, TOP = 600, 150, 12


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    css: str
    title: str


@dataclass(frozen=True)
class Chart:
    bars: list[Bar]
    top: int
    """The tallest value: the top of the axis."""
    first_label: str
    last_label: str


def _scale(top: int) -> float:
    return (HEIGHT - TOP) / top if top else 0.0


def stacked(labels: Sequence[str], lower: Sequence[int], upper: Sequence[int],
            titles: Sequence[str]) -> Chart:
    """One bar per label, ``lower`` under ``upper``."""
    top = max((a + b for a, b in zip(lower, upper, strict=True)), default=0)
    k, slot = _scale(top), WIDTH / max(len(labels), 1)
    bars = []
    for i, (a, b, title) in enumerate(zip(lower, upper, titles, strict=True)):
        x = round(i * slot + slot * 0.15, 2)
        w = round(slot * 0.7, 2)
        bars.append(Bar(x, round(HEIGHT - a * k, 2), w, round(a * k, 2), "bar", title))
        bars.append(Bar(x, round(HEIGHT - (a + b) * k, 2), w, round(b * k, 2), "bar alt",
                        title))
    return Chart(bars, top, labels[0] if labels else "", labels[-1] if labels else "")


def paired(labels: Sequence[str], left: Sequence[int], right: Sequence[int],
           titles: Sequence[str]) -> Chart:
    """Two bars side by side per label."""
    top = max([*left, *right, 0])
    k, slot = _scale(top), WIDTH / max(len(labels), 1)
    bars = []
    for i, (a, b, title) in enumerate(zip(left, right, titles, strict=True)):
        w = round(slot * 0.38, 2)
        x = round(i * slot + slot * 0.1, 2)
        bars.append(Bar(x, round(HEIGHT - a * k, 2), w, round(a * k, 2), "bar", title))
        bars.append(Bar(round(x + w, 2), round(HEIGHT - b * k, 2), w, round(b * k, 2),
                        "bar alt", title))
    return Chart(bars, top, labels[0] if labels else "", labels[-1] if labels else "")


def single(labels: Sequence[str], values: Sequence[int], titles: Sequence[str]) -> Chart:
    """One bar per label."""
    return stacked(labels, values, [0] * len(values), titles)


ROW_HEIGHT = 28


@dataclass(frozen=True)
class Whisker:
    """One interval: a line from ``x_low`` to ``x_high`` through a dot at ``x_mid``, on the
    row at ``y``; an unbounded end runs to the edge (``open_low``/``open_high``)."""

    y: float
    x_low: float
    x_mid: float
    x_high: float
    open_low: bool
    open_high: bool
    css: str
    label: str
    title: str


@dataclass(frozen=True)
class IntervalChart:
    rows: list[Whisker]
    zero_x: float
    height: int
    span: float
    """The largest distance from zero drawn: the chart runs from ``-span`` to ``span``."""


def intervals(labels: Sequence[str], estimates: Sequence[float], lows: Sequence[float | None],
              highs: Sequence[float | None], titles: Sequence[str]) -> IntervalChart:
    """One row per estimate with its interval, around a zero line in the middle: an interval
    that does not cross the line is a difference the data shows (``css`` ``up``/``down``)."""
    finite = [abs(v) for v in (*estimates, *lows, *highs) if v is not None]
    span = max(finite, default=0.0) or 1.0
    half = WIDTH / 2
    margin = 8.0

    def x(value: float) -> float:
        return round(half + value / span * (half - margin), 2)

    rows = []
    for i, (label, mid, low, high, title) in enumerate(
            zip(labels, estimates, lows, highs, titles, strict=True)):
        css = ("up" if low is not None and low > 0 else
               "down" if high is not None and high < 0 else "unclear")
        rows.append(Whisker(y=i * ROW_HEIGHT + ROW_HEIGHT / 2,
                            x_low=margin if low is None else x(low), x_mid=x(mid),
                            x_high=WIDTH - margin if high is None else x(high),
                            open_low=low is None, open_high=high is None, css=css,
                            label=label, title=title))
    return IntervalChart(rows=rows, zero_x=half, height=max(1, len(rows)) * ROW_HEIGHT,
                         span=span)
