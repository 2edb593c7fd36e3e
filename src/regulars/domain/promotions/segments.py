"""Segments: a saved, typed set of rules over members' purchases and profiles.

Rules are data, one class per kind in :data:`RULES`; a segment holds the members for whom
every rule holds (AND). Windows are in whole days back from the moment of evaluation.
Purchases are net receipts, as the figures count them: a voided or fully refunded receipt
is no visit and no spend, a partly refunded one is a visit with its net spend. The
database layer (:mod:`regulars.db.promotions.segments`) turns each rule into SQL; nothing here reads
a
clock or a session.

- ``recency``: days since the last purchase ``le``/``ge`` ``days`` (never bought: only ``ge``);
- ``frequency``: receipts in the last ``days`` days ``ge``/``le`` ``count``;
- ``spend``: qualifying spend (paid less refunded) in the last ``days`` days ``ge``/``le``
  ``amount_minor``;
- ``store_share``: of the receipts in the last ``days`` days, at least ``min_percent`` percent
  at ``store_id`` (members with none do not match);
- ``tags``: the profile's ``tags`` list holds ``any`` or ``all`` of ``tags``;
- ``profile``: the profile field ``field`` equals the string ``value``;
- ``birthday``: a birthday is on file;
- ``consent``: the member's consent is one of ``values``;
- ``level``: the member's current level (by the program's rules: qualifying spend over its
  window, and the floor of a program that never downgrades) is one of ``levels``, each a
  level's code or name in the current program;
- ``rfm``: the member's RFM group is one of ``groups`` (:data:`RFM_GROUPS`), scored as the
  CLV report scores them: quintiles over the tenant's members who bought, with purchases up
  to the close of the day before the moment of evaluation (local days).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

MAX_RULES = 20
MAX_DAYS = 3660
MAX_AMOUNT = 10**15
CONSENTS = frozenset({"full", "earn_only", "none"})
RFM_GROUPS = frozenset({"champions", "loyal", "potential_loyalist", "new", "promising",
                        "need_attention", "about_to_sleep", "at_risk", "cannot_lose",
                        "hibernating", "lost"})
"""The codes of :class:`regulars.analytics.rfm.RfmGroup` (a test keeps them equal)."""


class Compare(StrEnum):
    LE = "le"
    GE = "ge"


class Match(StrEnum):
    ANY = "any"
    ALL = "all"


def _days(days: int) -> None:
    if not 1 <= days <= MAX_DAYS:
        raise ValueError(f"days must lie between 1 and {MAX_DAYS}")


@dataclass(frozen=True, kw_only=True)
class Recency:
    compare: Compare
    days: int

    def __post_init__(self) -> None:
        _days(self.days)


@dataclass(frozen=True, kw_only=True)
class Frequency:
    compare: Compare
    days: int
    count: int

    def __post_init__(self) -> None:
        _days(self.days)
        if not 0 <= self.count <= 1_000_000:
            raise ValueError("count must lie between 0 and 1000000")


@dataclass(frozen=True, kw_only=True)
class Spend:
    compare: Compare
    days: int
    amount_minor: int

    def __post_init__(self) -> None:
        _days(self.days)
        if not 0 <= self.amount_minor <= MAX_AMOUNT:
            raise ValueError("amount_minor must not be negative")


@dataclass(frozen=True, kw_only=True)
class StoreShare:
    store_id: int
    days: int
    min_percent: int

    def __post_init__(self) -> None:
        _days(self.days)
        if not 1 <= self.min_percent <= 100:
            raise ValueError("min_percent must lie between 1 and 100")


@dataclass(frozen=True, kw_only=True)
class Tags:
    match: Match
    tags: frozenset[str]

    def __post_init__(self) -> None:
        if not 1 <= len(self.tags) <= 50 or any(not t or len(t) > 64 for t in self.tags):
            raise ValueError("tags: between 1 and 50 tags of 1 to 64 characters")


@dataclass(frozen=True, kw_only=True)
class ProfileField:
    field: str
    value: str

    def __post_init__(self) -> None:
        if not self.field.isidentifier() or len(self.field) > 64 or self.field == "tags":
            raise ValueError("field must be a profile field name other than tags")
        if len(self.value) > 200:
            raise ValueError("value must be at most 200 characters")


@dataclass(frozen=True, kw_only=True)
class HasBirthday:
    pass


@dataclass(frozen=True, kw_only=True)
class ConsentIn:
    values: frozenset[str]

    def __post_init__(self) -> None:
        if not self.values or not self.values <= CONSENTS:
            raise ValueError("values must name consents among full, earn_only, none")


@dataclass(frozen=True, kw_only=True)
class LevelIn:
    levels: frozenset[str]

    def __post_init__(self) -> None:
        if not 1 <= len(self.levels) <= 50 or any(not v or len(v) > 200 for v in self.levels):
            raise ValueError("levels: between 1 and 50 level codes or names")

    def ranks(self, names: tuple[tuple[str, str], ...]) -> frozenset[int]:
        """The positions, in ``names`` ((code, name) of the program's levels, lowest first),
        of the levels the rule names by code or by name."""
        return frozenset(i for i, (code, name) in enumerate(names)
                         if code in self.levels or name in self.levels)


@dataclass(frozen=True, kw_only=True)
class RfmIn:
    groups: frozenset[str]

    def __post_init__(self) -> None:
        if not self.groups or not self.groups <= RFM_GROUPS:
            raise ValueError("groups must name RFM groups among "
                             + ", ".join(sorted(RFM_GROUPS)))


Rule = (Recency | Frequency | Spend | StoreShare | Tags | ProfileField | HasBirthday
        | ConsentIn | LevelIn | RfmIn)

RULES: Mapping[str, type[Rule]] = {
    "recency": Recency, "frequency": Frequency, "spend": Spend, "store_share": StoreShare,
    "tags": Tags, "profile": ProfileField, "birthday": HasBirthday, "consent": ConsentIn,
    "level": LevelIn, "rfm": RfmIn,
}
_KIND_OF: Mapping[type[Rule], str] = {cls: kind for kind, cls in RULES.items()}


def kind_of(rule: Rule) -> str:
    return _KIND_OF[type(rule)]


@dataclass(frozen=True, kw_only=True)
class Segment:
    id: int
    name: str
    rules: tuple[Rule, ...]

    def __post_init__(self) -> None:
        if not self.name.strip():
            raise ValueError("name must not be empty")
        if not 1 <= len(self.rules) <= MAX_RULES:
            raise ValueError(f"rules: between 1 and {MAX_RULES} rules are required")

    @property
    def needs_levels(self) -> bool:
        return any(isinstance(r, LevelIn) for r in self.rules)

    @property
    def needs_rfm(self) -> bool:
        return any(isinstance(r, RfmIn) for r in self.rules)

    @property
    def store_ids(self) -> frozenset[int]:
        return frozenset(r.store_id for r in self.rules if isinstance(r, StoreShare))
