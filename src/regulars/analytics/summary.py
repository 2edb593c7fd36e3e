"""From receipts to the per-member summary the lifetime-value models read.

A member's receipts on one calendar day are one purchase (their amounts added): the models
count purchase occasions, and a basket split over two receipts is one visit. Receipts after
the calibration end are left out (they are the hold-out); members whose first purchase is
after it are not in the summary at all.

For each member, in the summary's time unit (days, or weeks of 7 days: fractions kept):

- ``frequency``: repeat purchases, i.e. purchase days minus one (the first is not a repeat);
- ``recency``: from the first purchase to the last one (0 without repeats);
- ``age``: from the first purchase to the calibration end (``T`` in the papers);

and, in whole days and minor units for the RFM scores and the spend model:
``days_since_first`` (``age`` in days), ``days_since_last``, ``spend_minor`` (everything up
to the end) and ``repeat_spend_minor`` (the repeat purchases only: the first purchase is left
out of the Gamma-Gamma mean, as in the papers, because a first purchase is often not like the
others).
"""

from __future__ import annotations

from array import array
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date
from enum import Enum
from functools import cached_property
from typing import Any, NamedTuple, TypeVar, cast

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
CountArray = npt.NDArray[np.int32]
"""Purchases or days of a member: four bytes each (a day count stays far below 2**31)."""
AmountArray = npt.NDArray[np.signedinteger[Any]]
"""Members' amounts in minor units: four bytes each when every one of them fits, else eight."""


class TimeUnit(Enum):
    """The unit of ``recency``, ``age`` and the rate parameters; its value is days per unit."""

    DAYS = 1
    WEEKS = 7

    @property
    def days(self) -> int:
        return int(self.value)


class Receipt(NamedTuple):
    """One paid receipt: who, on which day, for how much (minor units, >= 0)."""

    member_id: Hashable
    on: date
    amount_minor: int


@dataclass(frozen=True, kw_only=True, eq=False)
class CalibrationSummary:
    """One row per member, in the order of ``member_ids`` (first seen in the receipts): a
    tuple, or an array of integer ids (:func:`summarise_by_member`).

    The arrays are read-only; purchases and days are counted in four bytes, minor units in
    four when every member's fit (below 2**31), else in eight. ``recency`` and ``age``, in
    ``unit``, are worked out from the days when asked for (floats of eight bytes a member
    are held only as long as their reader holds them).
    """

    calibration_end: date
    unit: TimeUnit
    member_ids: Sequence[Hashable]
    frequency: CountArray
    days_since_first: CountArray
    days_since_last: CountArray
    spend_minor: AmountArray
    repeat_spend_minor: AmountArray

    def __len__(self) -> int:
        return len(self.member_ids)

    @property
    def recency(self) -> FloatArray:
        """From the first purchase to the last, in ``unit`` (0 without repeats)."""
        days = self.days_since_first - self.days_since_last
        found: FloatArray = days / float(self.unit.days)
        return found

    @property
    def age(self) -> FloatArray:
        """From the first purchase to the calibration end, in ``unit`` (``T``)."""
        found: FloatArray = self.days_since_first / float(self.unit.days)
        return found

    @cached_property
    def purchase_age_groups(self) -> Groups:
        """Members grouped by (frequency, days since first purchase): the expected purchases'
        costly part depends on nothing else, and is asked for once per month of a CLV."""
        return group_rows(self.frequency, self.days_since_first)

    def rows(self, start: int, stop: int) -> CalibrationSummary:
        """The members ``start`` to ``stop`` (excluded) as a summary of their own, its arrays
        views of these (nothing copied but the ids' slice)."""
        return replace(self, member_ids=self.member_ids[start:stop],
                       frequency=self.frequency[start:stop],
                       days_since_first=self.days_since_first[start:stop],
                       days_since_last=self.days_since_last[start:stop],
                       spend_minor=self.spend_minor[start:stop],
                       repeat_spend_minor=self.repeat_spend_minor[start:stop])

    def taken(self, rows: npt.NDArray[np.intp]) -> CalibrationSummary:
        """The members at ``rows`` (an array of row numbers) as a summary of their own, its
        arrays copies of these rows (the ids too, as an array)."""
        ids = cast(Sequence[Hashable], np.asarray(self.member_ids)[rows])
        return replace(self, member_ids=ids, frequency=self.frequency[rows],
                       days_since_first=self.days_since_first[rows],
                       days_since_last=self.days_since_last[rows],
                       spend_minor=self.spend_minor[rows],
                       repeat_spend_minor=self.repeat_spend_minor[rows])

    def index_of(self, member_id: Hashable) -> int:
        """Row of ``member_id``; ``KeyError`` when the member is not in the summary."""
        return self.member_ids.index(member_id)


_Array = TypeVar("_Array", bound=np.ndarray[Any, Any])


def _read_only(array: _Array) -> _Array:
    array.flags.writeable = False
    return array


def summarise(receipts: Iterable[Receipt], *, calibration_end: date,
              unit: TimeUnit) -> CalibrationSummary:
    """The summary of ``receipts`` on or before ``calibration_end`` (inclusive), in any order.

    Raises ``ValueError`` for a negative amount.
    """
    end_day = calibration_end.toordinal()
    days_by_member: dict[Hashable, dict[int, int]] = {}
    for receipt in receipts:
        _check_amount(receipt.member_id, receipt.amount_minor)
        day = receipt.on.toordinal()
        if day > end_day:
            continue
        days = days_by_member.setdefault(receipt.member_id, {})
        days[day] = days.get(day, 0) + receipt.amount_minor
    columns = _Columns()
    for days in days_by_member.values():
        columns.add(days)
    return columns.summary(tuple(days_by_member), calibration_end, unit)


def summarise_by_member(receipts: Iterable[tuple[int, int, int]], *, calibration_end: date,
                        unit: TimeUnit) -> CalibrationSummary:
    """:func:`summarise` of (member id, day as :meth:`date.toordinal`, amount in minor units)
    rows in ascending member order (each member's rows together, in any order among them),
    holding one member's days at a time: its memory grows with the members, not with the
    receipts. ``member_ids`` is then an array of the ids.

    Raises ``ValueError`` for a negative amount or a member out of order.
    """
    end_day = calibration_end.toordinal()
    ids = array("q")
    columns = _Columns()
    days: dict[int, int] = {}
    for member_id, day, amount_minor in receipts:
        _check_amount(member_id, amount_minor)
        if day > end_day:
            continue
        if not ids or member_id != ids[-1]:
            if ids and member_id < ids[-1]:
                raise ValueError(f"member {member_id} comes after member {ids[-1]}")
            if days:
                columns.add(days)
                days = {}
            ids.append(member_id)
        days[day] = days.get(day, 0) + amount_minor
    if days:
        columns.add(days)
    return columns.summary(ids, calibration_end, unit)


def summary_of_members(members: Iterable[tuple[int, int, int, int, int, int]], *,
                       calibration_end: date, unit: TimeUnit) -> CalibrationSummary:
    """The summary of members' purchases already grouped per member: (member id, purchase
    days, first day, last day, spend, the first day's spend), days as
    :meth:`date.toordinal`, amounts in minor units, each member once, none after
    ``calibration_end``. ``member_ids`` is then an array of the ids in the rows' order."""
    ids = array("q")
    columns = _Columns()
    for member_id, days, first, last, spend, first_spend in members:
        ids.append(member_id)
        columns.add_member(days=days, first=first, last=last, spend=spend,
                           first_spend=first_spend)
    return columns.summary(ids, calibration_end, unit)


def _check_amount(member_id: Hashable, amount_minor: int) -> None:
    if amount_minor < 0:
        raise ValueError(f"a receipt of member {member_id!r} has a negative amount")


class _Columns:
    """The per-member figures as they are added: four bytes a count or day (an ordinal),
    eight an amount."""

    def __init__(self) -> None:
        self.frequency, self.first_day, self.last_day = array("i"), array("i"), array("i")
        self.spend, self.repeat_spend = array("q"), array("q")

    def add(self, days: dict[int, int]) -> None:
        """One member's purchase days (day ordinal: amount)."""
        first = min(days)
        self.add_member(days=len(days), first=first, last=max(days),
                        spend=sum(days.values()), first_spend=days[first])

    def add_member(self, *, days: int, first: int, last: int, spend: int,
                   first_spend: int) -> None:
        """One member's purchase days, first and last day (ordinals), spend and the first
        day's spend."""
        self.frequency.append(days - 1)
        self.first_day.append(first)
        self.last_day.append(last)
        self.spend.append(spend)
        self.repeat_spend.append(spend - first_spend)

    def summary(self, member_ids: Sequence[Hashable], calibration_end: date,
                unit: TimeUnit) -> CalibrationSummary:
        """The summary; the counts and eight-byte amounts are views of the columns, not
        copies."""
        end_day = np.int32(calibration_end.toordinal())
        return CalibrationSummary(
            calibration_end=calibration_end, unit=unit, member_ids=member_ids,
            frequency=_read_only(_counts(self.frequency)),
            days_since_first=_read_only(end_day - _counts(self.first_day)),
            days_since_last=_read_only(end_day - _counts(self.last_day)),
            spend_minor=_read_only(_amounts(self.spend)),
            repeat_spend_minor=_read_only(_amounts(self.repeat_spend)),
        )


def _amounts(column: array[int]) -> AmountArray:
    """The amounts in four bytes when all fit (each is 0 or more), else the column's view."""
    found: AmountArray = np.frombuffer(column, dtype=np.int64)
    if len(found) and int(found.max()) < 2**31:
        found = found.astype(np.int32)
    return found


def _counts(column: array[int]) -> CountArray:
    return np.frombuffer(column, dtype=np.int32)


class Groups(NamedTuple):
    """Rows grouped by equal keys: ``first`` is one row of each group, ``inverse`` the group
    of every row, ``counts`` the rows in each group."""

    first: npt.NDArray[np.intp]
    inverse: npt.NDArray[np.integer[Any]]
    counts: IntArray


def group_rows(*keys: npt.NDArray[np.integer[Any]]) -> Groups:
    """Rows with equal values in every one of ``keys`` (integer arrays of one length) as one
    group; groups in ascending key order. Integer keys sort far faster than float rows."""
    n = len(keys[0])
    order = np.lexsort(keys[::-1])
    starts = np.zeros(n, dtype=bool)
    starts[:1] = True
    for key in keys:
        ordered = key[order]
        starts[1:] |= ordered[1:] != ordered[:-1]
    # Group numbers in four bytes below 2**31 rows, counted in place: at a million members
    # the sort's order (eight bytes a row) and these two arrays are the whole peak.
    group_sorted = np.cumsum(starts, dtype=np.int32 if n < 2**31 else np.intp)
    np.subtract(group_sorted, 1, out=group_sorted)
    inverse = np.empty(n, dtype=group_sorted.dtype)
    inverse[order] = group_sorted
    del group_sorted
    boundaries = np.flatnonzero(starts)
    counts = np.diff(np.append(boundaries, n)).astype(np.int64)
    return Groups(first=order[boundaries], inverse=inverse, counts=counts)


GROUP_ROWS = 65_536
"""Rows :func:`distinct_counts` groups together: its sort's temporaries are this many rows
long, not one per member of the business."""


def distinct_counts(*keys: npt.NDArray[np.integer[Any]],
                    where: npt.NDArray[np.bool_] | None = None,
                    rows: int = GROUP_ROWS) -> tuple[list[npt.NDArray[Any]], IntArray]:
    """The distinct rows of ``keys`` (integer arrays of one length; with ``where``, of the
    rows it marks) in ascending key order, and how many rows each stands for: the keys and
    counts :func:`group_rows` gives, found ``rows`` rows at a time, so that the memory grows
    with the distinct rows and not with all of them."""
    distinct: list[npt.NDArray[Any]] = [key[:0] for key in keys]
    counts: IntArray = np.zeros(0, dtype=np.int64)
    for start in range(0, len(keys[0]), rows):
        part = [key[start:start + rows] for key in keys]
        if where is not None:
            chosen = where[start:start + rows]
            part = [column[chosen] for column in part]
        part = [np.concatenate((known, new)) for known, new in zip(distinct, part, strict=True)]
        weights = np.concatenate((counts, np.ones(len(part[0]) - len(counts), np.int64)))
        groups = group_rows(*part)
        distinct = [column[groups.first] for column in part]
        # Whole counts below 2**53 are exact in the float sums bincount makes.
        counts = np.bincount(groups.inverse, weights=weights,
                             minlength=len(groups.first)).astype(np.int64)
    return distinct, counts

