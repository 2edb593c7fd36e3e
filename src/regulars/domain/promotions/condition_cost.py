"""What a promotion condition costs to evaluate, worked out from its text before it runs.

The CEL engine has no cost limit of its own, and its comprehension macros are far from free:
an ``exists`` or ``all`` walks its list once, but ``map`` and ``filter`` copy what they have
gathered on every step (their cost grows with the square of the list), and a comprehension
inside another one runs once per element of the outer list. A condition such as
``basket.lines.exists(a, basket.lines.exists(b, a.sku == b.sku))`` takes over a second on
a 500-line basket.

:func:`analyse` parses a condition (one CEL has already accepted) into a small tree and
gives its :class:`Shape`: its size in nodes, its depth, how many comprehensions it has and how
deeply they nest. :func:`cost` counts the work of one evaluation on a basket of ``lines``
lines, in units of about one comprehension step each (a few microseconds): every node
evaluated, every comprehension step times the work of its body, and the copying of ``map``
and ``filter``. The count is an upper bound: list sizes are bounded from the basket's lines
and the literals of the text, never measured.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from regulars.errors import InvalidInput

MAX_NODES = 150
MAX_DEPTH = 16
MAX_COMPREHENSIONS = 6
MAX_COMPREHENSION_NESTING = 1
LINE_WEIGHT = 6  # a basket line: five fields and the map that holds them
MACROS = frozenset({"all", "exists", "exists_one", "map", "filter"})
_COPYING = frozenset({"map", "filter"})

_TOKEN = re.compile(r"""
    (?P<space>\s+|//[^\n]*)
  | (?P<str>(?:[rR][bB]?|[bB][rR]?)?(?:'''(?:\\.|[^\\])*?'''|\"\"\"(?:\\.|[^\\])*?\"\"\"
            |'(?:\\.|[^'\\\n])*'|"(?:\\.|[^"\\\n])*"))
  | (?P<num>0[xX][0-9a-fA-F]+[uU]?|\d+\.\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?
            |\d+[eE][+-]?\d+|\d+[uU]?)
  | (?P<name>[A-Za-z_]\w*)
  | (?P<op>==|!=|<=|>=|&&|\|\||[<>!+\-*/%?:.,()\[\]{}])
""", re.VERBOSE)
_BINARY = (("||",), ("&&",), ("==", "!=", "<", "<=", ">", ">=", "in"), ("+", "-"),
           ("*", "/", "%"))


def _unmeasurable() -> InvalidInput:
    return InvalidInput("condition: a text this tool cannot measure; simplify it",
                        field="condition")


def _too_deep() -> InvalidInput:
    return InvalidInput("condition: too complex: nested more than %(depth)s levels deep",
                        field="condition", params={"depth": MAX_DEPTH})


@dataclass(frozen=True, slots=True)
class Node:
    kind: str  # lit, ident, select, index, call, list, map, unary, binary, cond, macro
    name: str = ""  # an identifier, a field, a function, an operator or a literal's text
    args: tuple[Node, ...] = ()
    weight: int = 1  # a literal's size


@dataclass(frozen=True, kw_only=True)
class Shape:
    """A condition's tree and its measures."""

    root: Node
    nodes: int
    depth: int
    comprehensions: int
    nesting: int  # comprehensions inside the body of another, counting the outer one


@dataclass(frozen=True, slots=True)
class _Value:
    """An upper bound of a value's size: ``count`` elements of at most ``weight`` each."""

    count: int
    weight: int

    @property
    def total(self) -> int:
        return self.count * self.weight


_SCALAR = _Value(1, 1)


def _tokens(text: str) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    at = 0
    while at < len(text):
        match = _TOKEN.match(text, at)
        if match is None:
            raise _unmeasurable()
        kind = match.lastgroup
        assert kind is not None
        if kind != "space":
            found.append((kind, match.group(kind)))
        at = match.end()
    return found


class _Parser:
    """A recursive descent over CEL's grammar, for text CEL has accepted already; it gives
    up past :data:`MAX_DEPTH` levels, so a deep text cannot exhaust the stack."""

    def __init__(self, text: str) -> None:
        self.tokens = _tokens(text)
        self.at = 0
        self.depth = 0
        self.deepest = 0

    def peek(self, offset: int = 0) -> str:
        at = self.at + offset
        return self.tokens[at][1] if at < len(self.tokens) else ""

    def take(self, expected: str | None = None) -> str:
        if self.at >= len(self.tokens) or (expected is not None and self.peek() != expected):
            raise _unmeasurable()
        self.at += 1
        return self.tokens[self.at - 1][1]

    def expr(self) -> Node:
        self.depth += 1
        self.deepest = max(self.deepest, self.depth)
        if self.depth > MAX_DEPTH:
            raise _too_deep()
        node = self.binary(0)
        if self.peek() == "?":
            self.take()
            then = self.binary(0)
            self.take(":")
            node = Node("cond", args=(node, then, self.expr()))
        self.depth -= 1
        return node

    def binary(self, level: int) -> Node:
        if level == len(_BINARY):
            return self.unary()
        node = self.binary(level + 1)
        while self.peek() in _BINARY[level] and self.tokens[self.at][0] != "str":
            op = self.take()
            node = Node("binary", op, (node, self.binary(level + 1)))
        return node

    def unary(self) -> Node:
        if self.peek() in ("!", "-"):
            op = self.take()
            return Node("unary", op, (self.unary(),))
        return self.postfix(self.primary())

    def postfix(self, node: Node) -> Node:
        while self.peek() in (".", "["):
            if self.take() == "[":
                node = Node("index", args=(node, self.expr()))
                self.take("]")
                continue
            name = self.take()
            if self.peek() != "(":
                node = Node("select", name, (node,))
                continue
            args = self.arguments(")")
            kind = "macro" if name in MACROS and len(args) in (2, 3) else "call"
            node = Node(kind, name, (node, *args))
        return node

    def arguments(self, close: str) -> tuple[Node, ...]:
        self.take()
        args: list[Node] = []
        while self.peek() != close:
            args.append(self.expr())
            if self.peek() == ":":  # a map literal's value
                self.take()
                args.append(self.expr())
            if self.peek() != close:
                self.take(",")
        self.take(close)
        return tuple(args)

    def primary(self) -> Node:
        kind, text = self.tokens[self.at] if self.at < len(self.tokens) else ("", "")
        if text == "(":
            self.take()
            node = self.expr()
            self.take(")")
            return node
        if text in ("[", "{"):
            return Node("list" if text == "[" else "map", args=self.arguments(
                "]" if text == "[" else "}"))
        self.take()
        if kind == "name" and self.peek() == "(":
            return Node("call", text, self.arguments(")"))
        if kind == "name" and text not in ("true", "false", "null"):
            return Node("ident", text)
        return Node("lit", text, weight=1 + len(text) // 16)


def _measure(node: Node, depth: int) -> tuple[int, int, int, int]:
    """Nodes, depth, comprehensions and comprehension nesting below ``node``."""
    nodes, deepest, macros, nesting = 1, depth, 0, 0
    for i, child in enumerate(node.args):
        n, d, m, k = _measure(child, depth + 1)
        nodes, deepest, macros = nodes + n, max(deepest, d), macros + m
        in_body = node.kind == "macro" and i > 0
        nesting = max(nesting, k)
        if in_body and k:
            nesting = max(nesting, k + 1)
    if node.kind == "macro":
        macros += 1
        nesting = max(nesting, 1)
    return nodes, deepest, macros, nesting


def analyse(text: str) -> Shape:
    """The tree and measures of ``text``; raises :class:`InvalidInput` for a text nested past
    :data:`MAX_DEPTH` (the parse stops there)."""
    parser = _Parser(text)
    root = parser.expr()
    if parser.at != len(parser.tokens):
        raise _unmeasurable()
    nodes, depth, macros, nesting = _measure(root, 1)
    return Shape(root=root, nodes=nodes, depth=max(depth, parser.deepest),
                 comprehensions=macros, nesting=nesting)


def check_shape(shape: Shape) -> None:
    """Raise :class:`InvalidInput` (field ``condition``) when ``shape`` is past a structural
    limit; the message says which, for a person to read."""
    if shape.nodes > MAX_NODES:
        raise InvalidInput("condition: too complex: %(nodes)s terms, at most %(limit)s",
                           field="condition", params={"nodes": shape.nodes, "limit": MAX_NODES})
    if shape.depth > MAX_DEPTH:
        raise _too_deep()
    if shape.comprehensions > MAX_COMPREHENSIONS:
        raise InvalidInput("condition: too complex: %(count)s comprehensions (exists, all, "
                           "map, filter), at most %(limit)s", field="condition",
                           params={"count": shape.comprehensions, "limit": MAX_COMPREHENSIONS})
    if shape.nesting > MAX_COMPREHENSION_NESTING:
        raise InvalidInput("condition: too complex: a comprehension (exists, all, map, filter) "
                           "inside another one runs once per basket line of the outer one; "
                           "comprehensions may not be nested", field="condition")


def cost(shape: Shape, lines: int) -> int:
    """The work of one evaluation on a basket of ``lines`` lines (see the module)."""
    return _Coster(lines).run(shape.root, {})[0]


class _Coster:
    def __init__(self, lines: int) -> None:
        self.lines = max(lines, 0)

    def run(self, node: Node, scope: dict[str, _Value]) -> tuple[int, _Value]:
        if node.kind == "macro":
            return self.macro(node, scope)
        if node.kind == "ident":
            return 1, scope.get(node.name, _Value(1, 8))
        if node.kind == "lit":
            return 1, _Value(1, node.weight)
        done = [self.run(child, scope) for child in node.args]
        work = 1 + sum([c for c, _ in done])
        values = [v for _, v in done]
        return self.combine(node, work, values)

    def combine(self, node: Node, work: int, values: list[_Value]) -> tuple[int, _Value]:
        if node.kind == "select":
            if node.name == "lines" and node.args[0] == Node("ident", "basket"):
                return work, _Value(self.lines, LINE_WEIGHT)
            return work, _Value(1, max(1, values[0].weight // 2))
        if node.kind == "index":
            return work, _Value(values[0].weight, 1)
        if node.kind in ("list", "map"):
            return work, _Value(max(len(values), 1), max([v.total for v in values] or [1]))
        if node.kind == "cond":
            return work, max(values[1:], key=lambda v: v.total)
        if node.kind == "binary" and node.name == "+":
            left, right = values
            return (work + left.total + right.total,
                    _Value(left.count + right.count, max(left.weight, right.weight))
                    if left.count > 1 or right.count > 1
                    else _Value(1, left.weight + right.weight))
        # a comparison, `in`, a function: reads its arguments once at most
        return work + sum([v.total for v in values if v.count > 1]), _SCALAR

    def macro(self, node: Node, scope: dict[str, _Value]) -> tuple[int, _Value]:
        work, listed = self.run(node.args[0], scope)
        variable = node.args[1]
        inner = dict(scope)
        if variable.kind == "ident":
            inner[variable.name] = _Value(listed.weight, 1)
        step = 1
        result = _Value(1, listed.weight)
        for body in node.args[2:]:
            body_work, result = self.run(body, inner)
            step += body_work
        work += listed.count * step
        if node.name in _COPYING:
            kept = listed.weight if node.name == "filter" else result.total
            work += listed.count * listed.count * kept // 2
            return work, _Value(listed.count, kept)
        return work, _SCALAR
