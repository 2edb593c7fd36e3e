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
