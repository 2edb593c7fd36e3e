"""Conditions that need no CEL engine: a subset of CEL over ``basket`` and ``time`` that is
compiled to plain Python once per promotion version and gives what CEL gives.

Converting a receipt to CEL values costs more than evaluating a few conditions (each string
of the basket's lines is converted on its own), and most conditions a shop writes are of a
few shapes: a threshold on the basket's total or quantity, a line of some category or sku,
an hour or a weekday. :func:`compile_subset` accepts exactly these, and anything else gets
``None`` (the caller evaluates it with CEL, as before):

- integer literals (decimal, no sign or suffix), strings in single or double quotes without
  escapes, ``true`` and ``false``;
- ``basket.total_minor``, ``basket.quantity_milli``, ``basket.lines``;
  ``time.date``, ``time.weekday``, ``time.hour``, ``time.minute``;
- ``basket.lines.exists(l, ...)`` and ``basket.lines.all(l, ...)``, whose variable reads
  ``l.sku``, ``l.category``, ``l.quantity_milli``, ``l.unit_price_minor``, ``l.amount_minor``;
- one comparison (``== != < <= > >=``) between two integers or two strings (``==`` and
  ``!=`` between two booleans too), ``!``, ``&&``, ``||`` and parentheses.

Every accepted expression is well typed over values that are never null and every field it
reads exists, so CEL cannot raise on it, and booleans, integer and string comparisons mean the
same in both. The one difference, integers beyond CEL's 64 bits, is the caller's to avoid
(:func:`fits`). ``member`` and ``store`` (either may be null) are left to CEL.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

Env = dict[str, Any]
Compiled = Callable[[Env], Any]

_TOKEN = re.compile(r"""\s*(?:(?P<int>\d+)(?![\w.])|(?P<str>'[^'\\\n]*'|"[^"\\\n]*")
                    |(?P<name>[A-Za-z_]\w*)|(?P<op>==|!=|<=|>=|&&|\|\||[<>!().,]))""",
                    re.VERBOSE)
_FIELDS = {
    "basket": {"total_minor": "int", "quantity_milli": "int", "lines": "lines"},
    "time": {"date": "string", "weekday": "int", "hour": "int", "minute": "int"},
    "line": {"sku": "string", "category": "string", "quantity_milli": "int",
             "unit_price_minor": "int", "amount_minor": "int"},
}
_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "==": lambda a, b: a == b, "!=": lambda a, b: a != b, "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b, ">": lambda a, b: a > b, ">=": lambda a, b: a >= b}
_INT64 = 2**63
# Names a comprehension variable may not take: the condition variables and CEL's literals and
# reserved words.
_RESERVED = frozenset({"basket", "time", "member", "store", "true", "false", "null", "in",
                       "as", "break", "const", "continue", "else", "for", "function", "if",
                       "import", "let", "loop", "package", "namespace", "return", "var",
                       "void", "while"})


class _Unsupported(Exception):
    pass


def _tokens(text: str) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    at = 0
    while at < len(text):
        if text[at:].strip() == "":
            break
        match = _TOKEN.match(text, at)
        if match is None or match.end() == at:
            raise _Unsupported
        kind = match.lastgroup
        assert kind is not None
        found.append((kind, match.group(kind)))
        at = match.end()
    return found


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = _tokens(text)
        self.at = 0
        self.bound: dict[str, str] = {}  # comprehension variable -> type

    def peek(self) -> str | None:
        return self.tokens[self.at][1] if self.at < len(self.tokens) else None

    def take(self, expected: str | None = None) -> tuple[str, str]:
        if self.at >= len(self.tokens):
            raise _Unsupported
        token = self.tokens[self.at]
        if expected is not None and token != ("op", expected):
            raise _Unsupported
        self.at += 1
        return token

    def expression(self) -> tuple[Compiled, str]:
        return self.binary("||", self.conjunction)

    def conjunction(self) -> tuple[Compiled, str]:
        return self.binary("&&", self.relation)

    def binary(self, op: str, operand: Callable[[], tuple[Compiled, str]]
               ) -> tuple[Compiled, str]:
        parts = [operand()]
        while self.peek() == op:
            self.take(op)
            parts.append(operand())
        if len(parts) == 1:
            return parts[0]
        if any(kind != "bool" for _, kind in parts):
            raise _Unsupported
        fns = [fn for fn, _ in parts]
        if op == "&&":
            return (lambda env: all(fn(env) for fn in fns)), "bool"
        return (lambda env: any(fn(env) for fn in fns)), "bool"

    def relation(self) -> tuple[Compiled, str]:
        left, kind = self.unary()
        op = self.peek()
        if op not in _COMPARE:
            return left, kind
        self.take()
        right, other = self.unary()
        if self.peek() in _COMPARE or kind != other or kind not in ("int", "string", "bool"):
            raise _Unsupported
        if kind == "bool" and op not in ("==", "!="):
            raise _Unsupported
        compare = _COMPARE[op]
        return (lambda env: compare(left(env), right(env))), "bool"

    def unary(self) -> tuple[Compiled, str]:
        if self.peek() == "!":
            self.take("!")
            inner, kind = self.unary()
            if kind != "bool":
                raise _Unsupported
            return (lambda env: not inner(env)), "bool"
        return self.selection()

    def selection(self) -> tuple[Compiled, str]:
        fn, kind = self.primary()
        while self.peek() == ".":
            self.take(".")
            name_kind, name = self.take()
            if name_kind != "name":
                raise _Unsupported
            if kind == "lines" and name in ("exists", "all") and self.peek() == "(":
                fn, kind = self.comprehension(fn, name)
                continue
            fields = _FIELDS.get(kind)
            if fields is None or name not in fields:
                raise _Unsupported
            fn, kind = _field(fn, name), fields[name]
        return fn, kind

    def comprehension(self, items: Compiled, macro: str) -> tuple[Compiled, str]:
        self.take("(")
        kind, var = self.take()
        if kind != "name" or var in self.bound or var in _RESERVED:
            raise _Unsupported
        self.take(",")
        self.bound[var] = "line"
        predicate, result = self.expression()
        del self.bound[var]
        self.take(")")
        if result != "bool":
            raise _Unsupported

        def each(env: Env) -> Any:
            inner = dict(env)
            for item in items(env):
                inner[var] = item
                yield predicate(inner)

        if macro == "exists":
            return (lambda env: any(each(env))), "bool"
        return (lambda env: all(each(env))), "bool"

    def primary(self) -> tuple[Compiled, str]:
        kind, text = self.take()
        if kind == "int":
            value = int(text)
            if value >= _INT64:
                raise _Unsupported
            return (lambda _env: value), "int"
        if kind == "str":
            string = text[1:-1]
            return (lambda _env: string), "string"
        if kind == "op" and text == "(":
            inner = self.expression()
            self.take(")")
            return inner
        if kind != "name":
            raise _Unsupported
        if text in ("true", "false"):
            flag = text == "true"
            return (lambda _env: flag), "bool"
        if text in self.bound:
            return (lambda env: env[text]), self.bound[text]
        if text in ("basket", "time"):
            return (lambda env: env[text]), text
        raise _Unsupported


def _field(fn: Compiled, name: str) -> Compiled:
    return lambda env: fn(env)[name]


def compile_subset(text: str) -> Callable[[Env], bool] | None:
    """``text`` as a Python function of the receipt's variables (as
    :func:`regulars.services.promotions.conditions.cel_context` builds them), or ``None`` when it is
    not in the subset of the module docstring."""
    try:
        parser = _Parser(text)
        fn, kind = parser.expression()
    except (_Unsupported, RecursionError):
        return None
    if kind != "bool" or parser.at != len(parser.tokens):
        return None
    return lambda env: bool(fn(env))


def fits(variables: Env) -> bool:
    """Whether every integer of the basket lies within CEL's 64 bits (the subset's functions
    may only be used then)."""
    basket = variables.get("basket")
    if basket is None:
        return True
    largest = max([basket["total_minor"], basket["quantity_milli"],
                   *[line["unit_price_minor"] for line in basket["lines"]]])
    return bool(largest < _INT64)
