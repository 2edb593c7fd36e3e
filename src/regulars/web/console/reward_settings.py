"""Console page of the action rewards: referrals (with points for the referrer's own
referrers), the birthday and completed-profile bonuses and custom events with their limits.
Anyone in the console sees it; changing it needs ``marketing_edit``. Saves the same settings
as ``PUT /v1/admin/rewards``."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import RedirectResponse, Response

from regulars.domain.rewards.rewards import (
    EventRule,
    FixedReward,
    Period,
    ReferralRule,
    RewardSettings,
    Trigger,
)
from regulars.errors import InvalidInput
from regulars.services.rewards import rewards
from regulars.services.web_sessions.sessions import Permission
from regulars.text.i18n import N_
from regulars.web.console import router
from regulars.web.console.pagekit import staff_actor
from regulars.web.deps import Form, RuntimeDep, StaffReader, needs
from regulars.web.forms import errors_of, parse_int
from regulars.web.templating import Reader, render

UPPER = (2, 3, 4, 5)  # referral levels above the referrer: their referrer, theirs ...
EVENT_ROWS = (1, 2, 3, 4, 5)
FLAGS = ("referral", "birthday", "profile")
FIELDS = ("referrer_points", "referred_points", "trigger", "link_base", "birthday_points",
          "profile_points", *(f"level{n}_points" for n in UPPER),
          *(f"event{n}_{part}" for n in EVENT_ROWS for part in ("type", "points", "limit",
                                                                 "period")))


def _tenant(reader: Reader) -> int:
    assert reader.session is not None
    return reader.session.tenant_id


def _values(settings: RewardSettings) -> dict[str, str]:
    r = settings.referral
    found = dict.fromkeys(FIELDS, "")
    found.update(referral="1" if r.enabled else "", birthday="1" if settings.birthday.enabled
                 else "", profile="1" if settings.profile.enabled else "",
                 referrer_points=str(r.referrer_points), referred_points=str(r.referred_points),
                 trigger=r.trigger.value, link_base=r.link_base or "",
                 birthday_points=str(settings.birthday.points),
                 profile_points=str(settings.profile.points))
    for n, points in zip(UPPER, r.upper_level_points, strict=False):
        found[f"level{n}_points"] = str(points)
    for n, rule in zip(EVENT_ROWS, settings.events, strict=False):
        found.update({f"event{n}_type": rule.type, f"event{n}_points": str(rule.points),
                      f"event{n}_limit": "" if rule.limit is None else str(rule.limit),
                      f"event{n}_period": rule.period.value})
    return found


class _Reading:
    def __init__(self, values: dict[str, str], reader: Reader) -> None:
        self.values, self.reader = values, reader
        self.errors: dict[str, str] = {}

    def points(self, name: str, *, minimum: int = 0, empty: int | None = 0) -> int | None:
        if not self.values[name]:
            return empty
        try:
            return parse_int(self.values[name], field=name, minimum=minimum, maximum=10**9)
        except InvalidInput as exc:
            self.errors[name] = errors_of(exc, self.reader)[name]
            return empty

    def refuse(self, name: str, message: str) -> None:
        self.errors.setdefault(name, self.reader.gettext(message))


def _events(r: _Reading) -> tuple[EventRule, ...]:
    found, seen = [], set()
    for n in EVENT_ROWS:
        kind = r.values[f"event{n}_type"][:64]
        if not kind:
            continue
        if not kind.replace("_", "").replace("-", "").isalnum():
            r.refuse(f"event{n}_type", N_("use letters, digits, '-' or '_'"))
        elif kind in seen:
            r.refuse(f"event{n}_type", N_("each event type may be configured once"))
        seen.add(kind)
        points = r.points(f"event{n}_points") or 0
        limit = r.points(f"event{n}_limit", minimum=1, empty=None)
        period = r.values[f"event{n}_period"]
        if not r.errors:
            found.append(EventRule(type=kind, points=points, limit=limit,
                                   period=Period(period) if period in set(Period)
                                   else Period.LIFETIME))
    return tuple(found)


def _read(values: dict[str, str], reader: Reader) -> tuple[RewardSettings | None,
                                                          dict[str, str]]:
    """The settings the form describes, or ``None`` and every problem, by field."""
    r = _Reading(values, reader)
    link = values["link_base"][:200]
    if link and not link.startswith(("https://", "http://")):
        r.refuse("link_base", N_("the link must start with https:// or http://"))
    upper = [r.points(f"level{n}_points") or 0 for n in UPPER]
    while upper and not upper[-1]:
        upper.pop()  # trailing empty levels: the chain stops there
    referral = ReferralRule(enabled=bool(values["referral"]),
                            referrer_points=r.points("referrer_points") or 0,
                            referred_points=r.points("referred_points") or 0,
                            trigger=Trigger.FIRST_PURCHASE
                            if values["trigger"] == "first_purchase" else Trigger.REGISTRATION,
                            link_base=link if link and "link_base" not in r.errors else None,
                            upper_level_points=tuple(upper))
    birthday = FixedReward(enabled=bool(values["birthday"]),
                           points=r.points("birthday_points") or 0)
    profile = FixedReward(enabled=bool(values["profile"]),
                          points=r.points("profile_points") or 0)
    events = _events(r)
    if r.errors:
        return None, r.errors
    return RewardSettings(referral=referral, birthday=birthday,
                          profile=profile, events=events), {}


def _page(request: Request, reader: Reader, values: dict[str, str], *,
          errors: dict[str, str] | None = None, saved: bool = False,
          status_code: int = 200) -> Response:
    return render(request, "console/reward_settings.html", reader, status_code=status_code,
                  values=values, errors=errors or {}, saved=saved, upper=UPPER,
                  event_rows=EVENT_ROWS, periods=[p.value for p in Period])


@router.get("/reward-settings", dependencies=[needs(Permission.VIEW)])
def rewards_page(request: Request, reader: StaffReader, runtime: RuntimeDep,
                 saved: str = "") -> Response:
    return _page(request, reader, _values(rewards.get_settings(runtime, _tenant(reader))),
                 saved=saved == "1")


@router.post("/reward-settings", dependencies=[needs(Permission.MARKETING_EDIT)])
def rewards_save(request: Request, reader: StaffReader, runtime: RuntimeDep,
                 form: Form) -> Response:
    values: dict[str, Any] = {name: str(form.get(name) or "")[:200].strip() for name in FIELDS}
    values.update({name: "1" if form.get(name) else "" for name in FLAGS})
    settings, errors = _read(values, reader)
    if settings is None:
        return _page(request, reader, values, errors=errors, status_code=422)
    rewards.put_settings(runtime, _tenant(reader), settings,
                         actor=staff_actor(reader))
    return RedirectResponse("/console/reward-settings?saved=1", status_code=303)
