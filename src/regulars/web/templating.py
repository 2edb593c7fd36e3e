"""Rendering pages: one Jinja2 environment, and the context every page gets.

Templates never query: a route calls a service and hands its result to :func:`render`.
Every page gets ``_`` (gettext in the reader's language), formatters for money, points, dates
and percentages in the reader's locale and the tenant's time zone, the CSRF token for its
forms, and ``can(permission)`` for what the signed-in role may do.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_skeleton, format_time, get_datetime_format
from babel.numbers import format_currency, format_decimal, get_currency_precision
from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from regulars.services.checkout.results import Explained
from regulars.services.web_sessions.sessions import Permission, WebSession, allowed
from regulars.text import i18n, labels, regions
from regulars.text.wording import render_code
from regulars.web import offer_words

ANONYMOUS_CSRF = "rg_csrf"
ENV = Environment(loader=PackageLoader("regulars.web", "templates"),
                  autoescape=select_autoescape(["html"]), undefined=StrictUndefined,
                  trim_blocks=True, lstrip_blocks=True)


def query_string(query: str) -> str:
    """``?`` and ``query`` for a link's address; nothing for no query (no bare ``?``)."""
    return f"?{query}" if query else ""


ENV.globals["query_string"] = query_string


@dataclass(frozen=True, kw_only=True)
class Reader:
    """Who reads a page and how to speak to them."""

    language: str
    locale: str
    currency: str
    timezone: str
    session: WebSession | None = None
    tenant_name: str = ""
    brand_css: str = ""
    """The business's stylesheet of colours (customer pages link it), with its version."""
    logo_url: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def gettext(self, message: str, /, **params: object) -> str:
        return i18n.gettext(self.language, message, **params)

    def ngettext(self, singular: str, plural: str, count: int, /, **params: object) -> str:
        return i18n.ngettext(self.language, singular, plural, count, **params)

    def money(self, amount_minor: int | None) -> str:
        if amount_minor is None:
            return "—"
        digits = int(get_currency_precision(self.currency))
        return str(format_currency(Decimal(amount_minor).scaleb(-digits), self.currency,
                                   locale=self.locale))

    def number(self, value: int | float | Decimal | None) -> str:
        return "—" if value is None else str(format_decimal(value, locale=self.locale))

    def percent_bp(self, rate_bp: int | None) -> str:
        if rate_bp is None:
            return "—"
        return str(format_decimal(Decimal(rate_bp).scaleb(-2), locale=self.locale)) + "\u00a0%"

    def _local(self, value: dt.datetime | str) -> dt.datetime:
        moment = dt.datetime.fromisoformat(value) if isinstance(value, str) else value
        return moment.astimezone(ZoneInfo(self.timezone))

    def datetime(self, value: dt.datetime | str | None) -> str:
        """A moment as the reports write a day ("7 Dec 2026", Babel's medium date) with the
        hour and minute, joined the way the locale joins them: one form on every page."""
        if value is None:
            return "—"
        moment = self._local(value)
        return (str(get_datetime_format("medium", locale=self.locale))
                .replace("'", "")
                .replace("{1}", str(format_date(moment, "medium", locale=self.locale)))
                .replace("{0}", str(format_time(moment, "short", locale=self.locale))))

    def date(self, value: dt.date | dt.datetime | str | None) -> str:
        if value is None:
            return "—"
        if isinstance(value, str):
            value = (dt.datetime.fromisoformat(value) if "T" in value
                     else dt.date.fromisoformat(value))
        if isinstance(value, dt.datetime):
            value = self._local(value).date()
        return str(format_date(value, "medium", locale=self.locale))

    def month(self, value: dt.date | str | None) -> str:
        """A whole month, given by its first day, as the locale names a month of a year
        ("March 2026", "март 2026 г."): the first day's date would read as that one day."""
        if value is None:
            return "—"
        day = dt.date.fromisoformat(value[:10]) if isinstance(value, str) else value
        return str(format_skeleton("yMMMM", day, locale=self.locale))

    def explain(self, why: Explained | dict[str, Any]) -> str:
        """An explanation from a checkout answer (a quote's, or a stored one) in the reader's
        language (answers stored before explanations kept their values show the text they
        were given)."""
        if isinstance(why, Explained):
            return render_code(why.code, dict(why.params), locale=self.locale,
                               currency=self.currency)
        params = why.get("params")
        if params is None:
            return str(why.get("text", ""))
        return render_code(str(why["code"]), params, locale=self.locale, currency=self.currency)

    def label(self, group: str, code: object) -> str:
        """The words for a code (a status, a kind) in the reader's language."""
        return labels.label(self.language, group, code)

    def minor_digits(self) -> int:
        return int(get_currency_precision(self.currency))

    def can(self, permission: str) -> bool:
        session = self.session
        return (session is not None and session.kind == "staff"
                and allowed(session.staff_role, Permission(permission)))


def units(reader: Reader, milli: int) -> str:
    """Thousandths of a unit as the reader writes numbers (``25``, ``12,5``)."""
    return reader.number(Decimal(milli).scaleb(-3).normalize())


def render(request: Request, template: str, reader: Reader, status_code: int = 200,
           headers: dict[str, str] | None = None, **context: Any) -> HTMLResponse:
    """``template`` rendered for ``reader`` with ``context``. Pages before sign-in get a
    double-submit CSRF token: a cookie, echoed by their forms."""
    session = reader.session
    anonymous_token = None
    if session is None:
        anonymous_token = request.cookies.get(ANONYMOUS_CSRF) or secrets.token_urlsafe(24)
    html = ENV.get_template(template).render(
        request=request, reader=reader, session=session,
        csrf=session.csrf_token if session else anonymous_token,
        _=reader.gettext, ngettext=reader.ngettext, money=reader.money,
        number=reader.number, percent=reader.percent_bp, fmt_date=reader.date,
        fmt_month=reader.month, fmt_datetime=reader.datetime, can=reader.can,
        explain=reader.explain, label=reader.label,
        effect_words=lambda effect, series=None: offer_words.effect_words(
            effect, reader, series=series),
        rule_words=lambda rule, stores=None, levels=None: offer_words.rule_words(
            rule, reader, stores=stores, levels=levels),
        languages=i18n.LANGUAGES,
        locale_name=lambda code: regions.locale_name(code, reader.locale),
        zone_name=lambda zone: regions.zone_name(zone, reader.locale),
        **{"units": lambda milli: units(reader, milli), **context})
    response = HTMLResponse(html, status_code=status_code, headers=headers)
    if anonymous_token is not None and ANONYMOUS_CSRF not in request.cookies:
        response.set_cookie(ANONYMOUS_CSRF, anonymous_token, httponly=True, samesite="lax")
    return response
