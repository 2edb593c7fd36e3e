"""The active promotions of a receipt, as checkout offers them to the engine
(:func:`offers_for`): read in one statement, prepared once per process, evaluated per receipt.

What never changes is cached per engine: a stored version parsed and its condition compiled
(versions are immutable, so a new version is a new key), and the statement for a tenant and
the segments it tests. What does change is read on every receipt, in the statement: which
versions are active, the rules of the segments they target, the loyalty budget split, the
member's membership of those segments, and what the capped promotions' slots hold; what is
prepared from that answer (:class:`_Lineup`, the slots apart) is reused only while the
answer is the same. So a new, changed or
archived promotion, a segment's new rules or a new split show on the next receipt of every
process, with no message between processes and no time bound.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection

from regulars.db.engine import cache_for
from regulars.db.members.members import MemberRow
from regulars.db.promotions import promotions as store
from regulars.db.promotions import segments as segment_store
from regulars.db.tenancy import tenancy
from regulars.domain.checkout.quote import BasketLine
from regulars.domain.promotions.budgets import NOTHING, UNLIMITED, Bucket, Split
from regulars.domain.promotions.condition_cost import Shape
from regulars.domain.promotions.control_groups import Group
from regulars.domain.promotions.promotions import Candidate, Offers, Promotion
from regulars.services.program import programs
from regulars.services.promotions import budgets, experiments, segments
from regulars.services.promotions.cel_engine import cel
from regulars.services.promotions.condition_subset import compile_subset, fits
from regulars.services.promotions.conditions import (
    Budget,
    birthday_today,
    cel_context,
    compile_condition,
    holds,
    shape_of,
    variables_of,
)

log = logging.getLogger(__name__)

# A stored definition, its promotion id, version and seed -> the promotion and its condition.
Parse = Callable[[dict[str, Any], int, int, str], tuple[Promotion, str]]


@dataclass(frozen=True, kw_only=True)
class _Loaded:
    """A stored version as checkout needs it: parsed, its condition compiled (``None`` for
    the condition ``true``, which needs no evaluating), the variables the condition names,
    and which of the member facts that cost a query it can read."""

    promotion: Promotion
    program: cel.Program | None
    python: Callable[[dict[str, Any]], bool] | None  # the condition without CEL, if it can
    shape: Shape | None  # what its cost is worked out from (None: too deep, never run)
    variables: frozenset[str]
    reads: frozenset[str]


# Member facts that cost a query each; a condition that does not name one never pays it.
_COSTLY_FACTS = ("visits", "spend_minor", "first_purchase")


def _loaded(conn: Connection, tenant_id: int, row: store.ActiveRow, parse: Parse) -> _Loaded:
    """A stored version, parsed and compiled once per engine (versions never change)."""
    cache = cache_for(conn)
    key = ("promotion", row.id, row.version)
    found = cache.get(key)
    if isinstance(found, _Loaded):
        return found
    promotion, condition = parse(store.version_definition(conn, tenant_id, row.id, row.version),
                                 row.id, row.version, row.control_seed)
    program = compile_condition(condition)
    constant = condition.strip() == "true"
    loaded = _Loaded(promotion=promotion, program=None if constant else program,
                     python=None if constant else compile_subset(condition),
                     shape=None if constant else shape_of(condition),
                     variables=frozenset() if constant else variables_of(program),
                     reads=frozenset(f for f in _COSTLY_FACTS if f in condition))
    cache[key] = loaded
    return loaded


@dataclass(frozen=True, kw_only=True)
class _Lineup:
    """One answer of the active-offers statement, prepared once per process and reused while
    the statement answers the same (same versions, split and segment rules): the loaded
    versions, and what :func:`offers_for` would otherwise work out on every receipt."""

    versions: tuple[tuple[int, int, str], ...]  # as the statement answered them
    split_row: dict[str, Any] | None
    answered_rules: dict[int, str | None]  # the segment rules the statement returned
    items: tuple[_Loaded, ...]
    variables: frozenset[str]  # what the conditions to evaluate name, together
    reads: frozenset[str]
    budgeted: bool  # some promotion has a budget, a per-member cap or a use limit
    split: Split
    capped: frozenset[Bucket]  # the buckets the split caps (the others leave no pool)
    rules: dict[int, str | None]  # segment id -> rules as stored, of the targeted ones
    parsed: dict[int, list[dict[str, Any]]]
    complete: bool  # every targeted segment's rules came with the statement


def _lineup(conn: Connection, tenant_id: int, active: store.ActiveOffers,
            parse: Parse) -> _Lineup:
    cache = cache_for(conn)
    key = ("lineup", tenant_id)
    found = cache.get(key)
    if (isinstance(found, _Lineup) and found.complete and found.versions == active.versions
            and found.split_row == active.split and found.answered_rules == active.rules):
        return found
    items = tuple(_loaded(conn, tenant_id, r, parse) for r in active.rows)
    targeted = sorted({i.promotion.segment_id for i in items
                       if i.promotion.segment_id is not None})
    # A segment the statement did not read yet (a new targeted version) is read on its own,
    # this once: the next statement reads it too.
    rules = {sid: active.rules[sid] if sid in active.rules
             else store.segment_rules(conn, tenant_id, sid) for sid in targeted}
    limits = [i.promotion.limits for i in items]
    split = budgets.split_of(active.split)
    lineup = _Lineup(
        versions=active.versions, split_row=active.split, answered_rules=active.rules,
        items=items,
        variables=frozenset().union(*(i.variables for i in items)),
        reads=frozenset().union(*(i.reads for i in items)),
        budgeted=any(x.budget_minor is not None or x.budget_points is not None
                     or x.per_member for x in limits),
        split=split, capped=frozenset(b for b in (Bucket.MASS, Bucket.TARGETED)
                                      if split.cap_minor(b) is not None),
        rules=rules,
        parsed={sid: json.loads(text) for sid, text in rules.items() if text is not None},
        complete=all(sid in active.rules for sid in targeted))
    cache[key] = lineup  # replaced whole: readers in other threads see either
    return lineup


def offers_for(conn: Connection, tenant: tenancy.TenantRow, lines: tuple[BasketLine, ...],
               member: MemberRow | None, level_code: str | None, *, store_id: int | None,
               at: datetime, spend_minor: Callable[[MemberRow], int], parse: Parse,
               excluded: frozenset[int] = frozenset()) -> Offers | None:
    """The tenant's active promotions with their conditions evaluated for this receipt and
    what their budgets leave (``excluded`` ones: nothing), or ``None`` when it has none.

    One statement reads the active versions, the loyalty budget split and the rules of the
    segments this process saw targeted last time, and tests the member against them. A
    segment whose rules changed since (or was not seen yet) is tested by a statement of its
    own, and only for a targeted promotion that could otherwise apply. Conditions are
    evaluated over the CEL variables they name (``true`` needs none); member facts that
    cost a query (``visits``, ``first_purchase``, ``spend_minor``, the last through
    ``spend_minor``) are read only when an active condition names them; budgets only for
    promotions that have one and could apply."""
    cache = cache_for(conn)
    seen_key = ("segments seen", tenant.id)
    seen = cache.get(seen_key)
    known: dict[int, str | None] = seen if isinstance(seen, dict) else {}
    active = store.active_offers(conn, *_offers_query(conn, tenant.id, known, member, at))
    if not active.versions:
        return None
    lineup = _lineup(conn, tenant.id, active, parse)
    plan = experiments.plan_for(conn, tenant.id)
    member_id = None if member is None else member.id
    if not plan.empty and plan.held_out(member_id):
        return None  # the programme holdout: no promotion at all
    if lineup.rules != known:
        cache[seen_key] = lineup.rules  # replaced whole: readers in other threads see either

    def in_segment(segment_id: int, member_id: int) -> bool:
        stored = lineup.parsed.get(segment_id)
        if stored is None:
            return False  # no such segment (any more): it holds nobody
        if segment_id in active.member_in and known.get(segment_id) == lineup.rules[segment_id]:
            return active.member_in[segment_id]  # tested by the rules it has now
        return segments.holds_rules(conn, tenant.id, stored, member_id, at)

    local = at.astimezone(ZoneInfo(tenant.timezone))
    facts = _member_facts(conn, tenant.id, lineup, member, level_code, at=at, local=local,
                          spend_minor=spend_minor)
    # The receipt's variables, only those some condition names.
    variables = cel_context(lines, facts, store_id, local, names=lineup.variables)
    met = _conditions_met(lineup, variables, member, store_id=store_id, local=local,
                          in_segment=in_segment, budget=Budget(len(lines)))
    if plan.arms:  # an experiment's other variants are not this member's
        met = [(p, ok and plan.allows(p.id, member_id)) for p, ok in met]
    return _offers(conn, tenant.id, lineup, met, member, store_id=store_id, local=local,
                   excluded=excluded, slots_spent=active.slots_spent)


def _member_facts(conn: Connection, tenant_id: int, lineup: _Lineup, member: MemberRow | None,
                  level_code: str | None, *, at: datetime, local: datetime,
                  spend_minor: Callable[[MemberRow], int]) -> dict[str, Any] | None:
    """The ``member`` variable of the conditions, when one names it: the facts that cost a
    query only when a condition reads them."""
    if member is None or "member" not in lineup.variables:
        return None
    facts: dict[str, Any] = {"id": member.id, "level": level_code, "consent": member.consent,
                             "birthday_today": birthday_today(member.birthday, local.date())}
    if lineup.reads & {"visits", "first_purchase"}:
        visits = store.visits(conn, tenant_id, member.id, until=at)
        facts.update(visits=visits, first_purchase=visits == 0)
    if "spend_minor" in lineup.reads:
        facts["spend_minor"] = spend_minor(member)
    return facts


def _conditions_met(lineup: _Lineup, variables: dict[str, Any], member: MemberRow | None, *,
                    store_id: int | None, local: datetime,
                    in_segment: Callable[[int, int], bool],
                    budget: Budget) -> list[tuple[Promotion, bool]]:
    """Each promotion of the lineup with whether its condition holds for this receipt.

    Conditions in the subset of :mod:`regulars.services.promotions.condition_subset` read the
    variables
    as they are, the others through one CEL context for all, converted to CEL values once
    and only if one needs it. A targeted promotion is for its segment's members only: one
    query for this member, and only for promotions that could otherwise apply. Members of
    its control group are left out like non-members, so that nothing tells them apart
    (recorded by ``record``). A CEL condition whose cost on this basket is past what is
    left of the quote's ``budget`` is not run and does not hold (and says so in the log)."""
    in_python = fits(variables)
    context: cel.Context | None = None
    met: list[tuple[Promotion, bool]] = []
    for item in lineup.items:
        p = item.promotion
        if item.program is None:
            ok = True
        elif item.python is not None and in_python:
            ok = item.python(variables)
        elif not budget.take(item.shape):
            log.warning("promotion %s version %s: condition too costly for a basket of %s "
                        "lines, left out", p.id, p.version, budget.lines)
            ok = False
        else:
            if context is None:
                context = cel.Context(variables=variables)
            ok = holds(item.program, context)
        if ok and p.segment_id is not None:
            ok = (member is not None and p.group_of(member.id) is Group.TEST
                  and p.runs(store_id=store_id, local=local)
                  and in_segment(p.segment_id, member.id))
        met.append((p, ok))
    return met


def _offers(conn: Connection, tenant_id: int, lineup: _Lineup, met: list[tuple[Promotion, bool]],
            member: MemberRow | None, *, store_id: int | None, local: datetime,
            excluded: frozenset[int], slots_spent: dict[int, tuple[int, int]]) -> Offers:
    """The candidates with what their budgets allow (the capped ones' slots were read with
    the active promotions; the rest read only for promotions that could apply) and the
    pools the split caps."""
    day = local.date()
    allowed_promotions = [p for p, ok in met if ok and p.runs(store_id=store_id, local=local)]
    if lineup.budgeted:
        allowed = budgets.allowances(
            conn, tenant_id, allowed_promotions,
            member_id=None if member is None else member.id, day=day, excluded=excluded,
            slots_spent=slots_spent)
    else:
        allowed = {p.id: NOTHING if p.id in excluded else UNLIMITED
                   for p in allowed_promotions}
    candidates = tuple([Candidate(promotion=p, condition_met=ok,
                                  allowance=allowed.get(p.id, NOTHING)) for p, ok in met])
    # A bucket the split does not cap leaves no pool (budgets.pool would say None).
    split, capped = lineup.split, lineup.capped
    mass = (budgets.pool(conn, tenant_id, day, split=split)
            if allowed and Bucket.MASS in capped else None)
    targeted = (budgets.pool(conn, tenant_id, day, bucket=Bucket.TARGETED, split=split)
                if Bucket.TARGETED in capped and any(p.targeted for p in allowed_promotions)
                else None)
    return Offers(candidates=candidates, store_id=store_id,
                  local_now=local.replace(tzinfo=None), pool_minor=mass,
                  targeted_pool_minor=targeted, split=split)


def _offers_query(conn: Connection, tenant_id: int, known: dict[int, str | None],
                  member: MemberRow | None, at: datetime
                  ) -> tuple[store.ActiveOffersQuery, dict[str, Any]]:
    """The active-offers statement reading the rules of the segments seen last time and,
    with a member, testing the member against them; and its parameters for this member and
    moment. The statement is built once per tenant, segment rules and program version (the
    rules, and a level rule's thresholds, are part of it), then only run: building it cost
    more than running it."""
    cache = cache_for(conn)
    text, level, parsed = _known_key(cache, tenant_id, known)
    key: tuple[Any, ...] = ("active offers query", tenant_id, text, member is not None)
    if member is not None and level:
        # A level rule holds the program's thresholds: a new version is a new statement.
        key += (programs.load_current(conn, tenant_id)[0],)
    query = cache.get(key)
    if not isinstance(query, store.ActiveOffersQuery):
        tests = ({sid: segments.member_test(conn, tenant_id, stored, member.id, at)
                  for sid, stored in parsed.items()} if member is not None else {})
        query = store.active_offers_query(tenant_id, segment_ids=known, member_in=tests)
        cache[key] = query
    if member is None or not query.parameters:
        return query, {}
    basis = (segments.level_basis(conn, tenant_id, at)
             if query.parameters & segment_store.LEVEL_WINDOWS else None)
    rfm = (segments.rfm_lookup(conn, tenant_id, at)
           if any(n.startswith("seg_rfm__") for n in query.parameters) else None)
    return query, segment_store.rebind(query.parameters, at=at, member_id=member.id,
                                       basis=basis, rfm=rfm)


def _known_key(cache: dict[object, object], tenant_id: int, known: dict[int, str | None]
               ) -> tuple[str, bool, dict[int, list[dict[str, Any]]]]:
    """The segments seen as one text, whether one has a level rule, and their rules parsed:
    worked out again only when the seen segments are a new dictionary (they are replaced
    whole, never changed)."""
    found = cache.get(("segments seen key", tenant_id))
    if isinstance(found, tuple) and found[0] is known:
        return found[1], found[2], found[3]
    text = repr(sorted(known.items()))
    parsed = {sid: json.loads(rules) for sid, rules in known.items() if rules is not None}
    level = any(rule.get("kind") == "level" for rules in parsed.values() for rule in rules)
    cache[("segments seen key", tenant_id)] = (known, text, level, parsed)
    return text, level, parsed
