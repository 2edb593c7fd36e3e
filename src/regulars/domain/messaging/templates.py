"""Message templates: the events that send a member a message, the placeholders each may use,
a tiny safe formatter, and the default wording in the four languages.

A template is plain text with ``{name}`` placeholders; ``{{`` and ``}}`` stand for literal
braces. A line that uses an optional placeholder (:data:`OPTIONAL`) with no value is left
out, so "Add your card to your phone: {wallet_pass_url}" shows only when there is a link.
Nothing in a template is evaluated: :func:`problems` refuses any placeholder the event does
not know (so a mistyped one is caught on save, not in a member's inbox), and
:func:`render` only substitutes the given values.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from enum import StrEnum


class Kind(StrEnum):
    """Transactional messages tell a member about their own account and go with any consent;
    marketing messages need full consent and count against the frequency cap."""

    TRANSACTIONAL = "transactional"
    MARKETING = "marketing"


COMMON = ("first_name", "program", "unsubscribe_url")


@dataclass(frozen=True, kw_only=True)
class EventSpec:
    kind: Kind
    placeholders: tuple[str, ...]


EVENTS: dict[str, EventSpec] = {
    "welcome": EventSpec(kind=Kind.TRANSACTIONAL, placeholders=(*COMMON, "wallet_pass_url")),
    "points_earned": EventSpec(kind=Kind.TRANSACTIONAL,
                               placeholders=(*COMMON, "points", "balance_points",
                                             "feedback_url")),
    "points_expiring": EventSpec(kind=Kind.TRANSACTIONAL,
                                 placeholders=(*COMMON, "points", "days", "expires_on")),
    "level_reached": EventSpec(kind=Kind.TRANSACTIONAL,
                               placeholders=(*COMMON, "level", "previous_level")),
    "level_kept": EventSpec(kind=Kind.TRANSACTIONAL, placeholders=(*COMMON, "level")),
    "level_lost": EventSpec(kind=Kind.TRANSACTIONAL,
                            placeholders=(*COMMON, "level", "previous_level")),
    "birthday": EventSpec(kind=Kind.MARKETING, placeholders=COMMON),
    "winback": EventSpec(kind=Kind.MARKETING, placeholders=(*COMMON, "days")),
    "balance": EventSpec(kind=Kind.TRANSACTIONAL,
                         placeholders=(*COMMON, "balance", "change", "balance_name")),
    "campaign": EventSpec(kind=Kind.MARKETING, placeholders=COMMON),
}
# A line using one of these with no value is left out of the message.
OPTIONAL = frozenset({"wallet_pass_url"})
LANGUAGES = ("en", "ru", "uk", "bg")
MAX_BODY = 2000
MAX_SUBJECT = 200

_TOKEN = re.compile(r"\{\{|\}\}|\{([^{}]*)\}|[{}]")


def placeholders_in(text: str) -> tuple[list[str], bool]:
    """The placeholders ``text`` uses, in order, and whether its braces are well formed."""
    names: list[str] = []
    well_formed = True
    for match in _TOKEN.finditer(text):
        token = match.group(0)
        if token in ("{{", "}}"):
            continue
        if match.group(1) is None:
            well_formed = False
        else:
            names.append(match.group(1).strip())
    return names, well_formed


def problems(event: str, text: str) -> list[str]:
    """What is wrong with ``text`` as a template of ``event``: each unknown placeholder by
    name (``{name}``), and a stray brace; empty when it may be saved."""
    spec = EVENTS.get(event)
    if spec is None:
        return [f"unknown event {event}"]
    names, well_formed = placeholders_in(text)
    found = [f"unknown placeholder {{{n}}}" for n in dict.fromkeys(names)
             if n not in spec.placeholders]
    if not well_formed:
        found.append("a brace without its pair (write {{ or }} for a brace itself)")
    return found


def render(text: str, values: dict[str, str]) -> str:
    """``text`` with each placeholder replaced by its value (an absent one by nothing),
    without the lines that use an optional placeholder with no value; without a first name
    (none, or only spaces) the words that address the member by it go too
    (:func:`nameless`)."""
    if not has_name(values.get("first_name")) and "first_name" in _names(text):
        rest = {k: v for k, v in values.items() if k not in MEMBER_MARKS}
        return fill_member(render_for_members(text, rest), first_name=None,
                           unsubscribe_url=values.get("unsubscribe_url", ""))
    lines = _optional_lines(text)
    if lines is not None:
        text = "\n".join(line for line, optional in lines
                         if not any(not values.get(n) for n in optional))
    return "".join(literal if name is None else literal + values.get(name, "")
                   for literal, name in _pieces(text))


# A text is parsed once (a receipt's message renders the same wording in every language on
# every commit): its placeholders, its lines with the optional ones each uses, and its
# pieces, each a literal (braces doubled written once, a stray brace kept) and the name of
# the placeholder after it (``None`` after the last).
@functools.lru_cache(maxsize=1024)
def _names(text: str) -> frozenset[str]:
    return frozenset(placeholders_in(text)[0])


@functools.lru_cache(maxsize=1024)
def _optional_lines(text: str) -> tuple[tuple[str, tuple[str, ...]], ...] | None:
    """Each line with the optional placeholders it uses; ``None`` when no line uses one."""
    lines = tuple((line, tuple(n for n in placeholders_in(line)[0] if n in OPTIONAL))
                  for line in text.split("\n"))
    return lines if any(optional for _, optional in lines) else None


@functools.lru_cache(maxsize=1024)
def _pieces(text: str) -> tuple[tuple[str, str | None], ...]:
    pieces: list[tuple[str, str | None]] = []
    literal: list[str] = []
    start = 0
    for match in _TOKEN.finditer(text):
        token = match.group(0)
        literal.append(text[start:match.start()])
        start = match.end()
        if token in ("{{", "}}"):
            literal.append(token[0])
        elif match.group(1) is None:
            literal.append(token)
        else:
            pieces.append(("".join(literal), match.group(1).strip()))
            literal = []
    literal.append(text[start:])
    pieces.append(("".join(literal), None))
    return tuple(pieces)


# What stands for the member's first name and unsubscribe link in a text rendered once for
# many members (:func:`render_for_members`): characters of Unicode's private use area, taken
# out of the template and the values first, so that only the marks are replaced later.
FIRST_NAME_MARK = "\ue000"
UNSUBSCRIBE_MARK = "\ue001"
MEMBER_MARKS = {"first_name": FIRST_NAME_MARK, "unsubscribe_url": UNSUBSCRIBE_MARK}


def render_for_members(text: str, values: dict[str, str]) -> str:
    """:func:`render` with ``{first_name}`` and ``{unsubscribe_url}`` left as
    :data:`FIRST_NAME_MARK` and :data:`UNSUBSCRIBE_MARK` (unless ``values`` gives them), to be
    replaced for each member by :func:`fill_member`; any mark already in ``text`` or
    ``values`` is dropped."""
    given = "".join(values.values())  # most values hold no mark: taken as they are
    if FIRST_NAME_MARK in given or UNSUBSCRIBE_MARK in given:
        values = {k: _unmarked(v) for k, v in values.items()}
    return render(_unmarked(text), {**MEMBER_MARKS, **values})


def fill_member(text: str, *, first_name: str | None, unsubscribe_url: str) -> str:
    """A text of :func:`render_for_members` for one member: what the database does for many
    (the link first, so that a name is never read as a mark; without a name, the
    :func:`nameless` text)."""
    if not has_name(first_name):
        return nameless(text).replace(UNSUBSCRIBE_MARK, unsubscribe_url)
    assert first_name is not None
    return (text.replace(UNSUBSCRIBE_MARK, unsubscribe_url)
            .replace(FIRST_NAME_MARK, first_name))


def has_name(first_name: str | None) -> bool:
    """Whether a member is addressed by ``first_name``: not when it is missing or only
    spaces (as the database tells, ``trim(coalesce(first_name, '')) <> ''``)."""
    return bool((first_name or "").strip(" "))


# The words that address the member by name, the name being FIRST_NAME_MARK: ", {name}"
# before a punctuation mark or the end ("Happy birthday, Anna!"), "{name}, " opening a
# sentence ("Anna, you keep your level Silver."), else the name and the space before it.
_NAME_AFTER = re.compile(r"\s*,\s*" + FIRST_NAME_MARK + r"(?=\s*(?:[!?.:;,)]|$))")
_NAME_OPENING = re.compile(r"(?:^|(?<=[.!?] ))" + FIRST_NAME_MARK + r"\s*[,:!\-\u2014]?\s*(.?)",
                           re.MULTILINE)
_NAME_ELSEWHERE = re.compile(r" ?" + FIRST_NAME_MARK)


def nameless(text: str) -> str:
    """A text of :func:`render_for_members` for a member without a first name: the words
    that address the member by name left out, so that "{first_name}, you keep your level
    {level}." reads "You keep your level Silver." and "Happy birthday, {first_name}!" reads
    "Happy birthday!" in every language; the unsubscribe mark stays."""
    text = _NAME_AFTER.sub("", text)
    text = _NAME_OPENING.sub(lambda m: m.group(1).upper(), text)
    return _NAME_ELSEWHERE.sub("", text)


def _unmarked(text: str) -> str:
    return text.replace(FIRST_NAME_MARK, "").replace(UNSUBSCRIBE_MARK, "")


@dataclass(frozen=True, kw_only=True)
class Wording:
    subject: str
    body: str


def default(event: str, language: str) -> Wording:
    """The built-in wording of ``event`` in ``language`` (English for another language)."""
    return DEFAULTS[event].get(language) or DEFAULTS[event]["en"]


def _w(subject: str, body: str) -> Wording:
    return Wording(subject=subject, body=body)


_STOP = {"en": "Unsubscribe: {unsubscribe_url}", "ru": "Отписаться: {unsubscribe_url}",
         "uk": "Відписатися: {unsubscribe_url}", "bg": "Отписване: {unsubscribe_url}"}

DEFAULTS: dict[str, dict[str, Wording]] = {
    "welcome": {
        "en": _w("Welcome to {program}", "Welcome to {program}, {first_name}!\n"
                 "Add your card to your phone: {wallet_pass_url}"),
        "ru": _w("Добро пожаловать в {program}", "Добро пожаловать в {program}, {first_name}!\n"
                 "Добавьте карту в телефон: {wallet_pass_url}"),
        "uk": _w("Ласкаво просимо до {program}", "Ласкаво просимо до {program}, {first_name}!\n"
                 "Додайте картку в телефон: {wallet_pass_url}"),
        "bg": _w("Добре дошли в {program}", "Добре дошли в {program}, {first_name}!\n"
                 "Добавете картата в телефона си: {wallet_pass_url}"),
    },
    "points_earned": {
        "en": _w("You earned {points} points", "+{points} points. Balance: {balance_points}. "
                 "Rate your visit: {feedback_url}"),
        "ru": _w("Начислено {points} баллов", "+{points} баллов. Баланс: {balance_points}. "
                 "Оцените визит: {feedback_url}"),
        "uk": _w("Нараховано {points} балів", "+{points} балів. Баланс: {balance_points}. "
                 "Оцініть візит: {feedback_url}"),
        "bg": _w("Получихте {points} точки", "+{points} точки. Баланс: {balance_points}. "
                 "Оценете посещението: {feedback_url}"),
    },
    "points_expiring": {
        "en": _w("Points expire soon", "{points} of your points expire in {days} days "
                 "({expires_on})."),
        "ru": _w("Баллы скоро сгорят", "{points} ваших баллов сгорят через {days} дн. "
                 "({expires_on})."),
        "uk": _w("Бали скоро згорять", "{points} ваших балів згорять через {days} дн. "
                 "({expires_on})."),
        "bg": _w("Точките изтичат скоро", "{points} от вашите точки изтичат след {days} дни "
                 "({expires_on})."),
    },
    "level_reached": {
        "en": _w("New level: {level}", "Congratulations, {first_name}: your level is now "
                 "{level}."),
        "ru": _w("Новый уровень: {level}", "Поздравляем, {first_name}: ваш уровень теперь "
                 "{level}."),
        "uk": _w("Новий рівень: {level}", "Вітаємо, {first_name}: ваш рівень тепер {level}."),
        "bg": _w("Ново ниво: {level}", "Поздравления, {first_name}: вашето ниво вече е "
                 "{level}."),
    },
    "level_kept": {
        "en": _w("You keep {level}", "{first_name}, you keep your level {level}."),
        "ru": _w("Уровень {level} сохранён", "{first_name}, ваш уровень {level} сохранён."),
        "uk": _w("Рівень {level} збережено", "{first_name}, ваш рівень {level} збережено."),
        "bg": _w("Запазвате {level}", "{first_name}, запазвате нивото си {level}."),
    },
    "level_lost": {
        "en": _w("Your level is now {level}", "{first_name}, your level went from "
                 "{previous_level} to {level}."),
        "ru": _w("Ваш уровень теперь {level}", "{first_name}, ваш уровень изменился с "
                 "{previous_level} на {level}."),
        "uk": _w("Ваш рівень тепер {level}", "{first_name}, ваш рівень змінився з "
                 "{previous_level} на {level}."),
        "bg": _w("Вашето ниво вече е {level}", "{first_name}, нивото ви се промени от "
                 "{previous_level} на {level}."),
    },
    "birthday": {
        "en": _w("Happy birthday!", "Happy birthday, {first_name}! " + _STOP["en"]),
        "ru": _w("С днём рождения!", "С днём рождения, {first_name}! " + _STOP["ru"]),
        "uk": _w("З днем народження!", "З днем народження, {first_name}! " + _STOP["uk"]),
        "bg": _w("Честит рожден ден!", "Честит рожден ден, {first_name}! " + _STOP["bg"]),
    },
    "winback": {
        "en": _w("We miss you", "{first_name}, we have not seen you for {days} days. "
                 + _STOP["en"]),
        "ru": _w("Мы скучаем", "{first_name}, мы не виделись {days} дн. " + _STOP["ru"]),
        "uk": _w("Ми сумуємо", "{first_name}, ми не бачились {days} дн. " + _STOP["uk"]),
        "bg": _w("Липсвате ни", "{first_name}, не сме се виждали {days} дни. "
                 + _STOP["bg"]),
    },
    "balance": {
        "en": _w("{balance_name}", "Change: {change}. {balance_name}: {balance}."),
        "ru": _w("{balance_name}", "Изменение: {change}. {balance_name}: {balance}."),
        "uk": _w("{balance_name}", "Зміна: {change}. {balance_name}: {balance}."),
        "bg": _w("{balance_name}", "Промяна: {change}. {balance_name}: {balance}."),
    },
    "campaign": {
        "en": _w("News from {program}", "{first_name}, news from {program}. " + _STOP["en"]),
        "ru": _w("Новости {program}", "{first_name}, новости {program}. " + _STOP["ru"]),
        "uk": _w("Новини {program}", "{first_name}, новини {program}. " + _STOP["uk"]),
        "bg": _w("Новини от {program}", "{first_name}, новини от {program}. " + _STOP["bg"]),
    },
}

# Which balance a "balance" message speaks of, in each language: the ``balance_name`` a
# sender gives ("wallet" or "certificate") is put in the message's language
# (:func:`in_language`).
BALANCE_NAMES: dict[str, dict[str, str]] = {
    "wallet": {"en": "Wallet balance", "ru": "Баланс кошелька", "uk": "Баланс гаманця",
               "bg": "Баланс на портфейла"},
    "certificate": {"en": "Gift card balance", "ru": "Баланс подарочной карты",
                    "uk": "Баланс подарункової картки", "bg": "Баланс на картата за подарък"},
}


def in_language(values: dict[str, str], language: str) -> dict[str, str]:
    """``values`` with a ``balance_name`` that names a kind of balance (:data:`BALANCE_NAMES`)
    written in ``language`` (English for another); any other value as it is."""
    names = BALANCE_NAMES.get(values.get("balance_name", ""))
    if names is None:
        return values
    return {**values, "balance_name": names.get(language) or names["en"]}


SAMPLE: dict[str, str] = {
    "first_name": "Anna", "program": "Coffee Club", "balance_points": "1250",
    "points": "120", "days": "7", "expires_on": "2026-12-31", "level": "Gold",
    "previous_level": "Silver", "balance": "25.00", "change": "+10.00",
    "balance_name": "certificate",
}
"""The sample member a preview shows (its links: :func:`sample`)."""


def sample(*, customer_pages_url: str) -> dict[str, str]:
    """:data:`SAMPLE` with the links a message gives, under ``customer_pages_url`` (the
    tenant's customer pages, ``…/c/<tenant>``, as the links of real messages)."""
    return {**SAMPLE, "unsubscribe_url": f"{customer_pages_url}/unsubscribe/…",
            "feedback_url": f"{customer_pages_url}/rate/…"}
