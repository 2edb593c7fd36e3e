"""What of the receipt's member a promotion condition reads, judged on the condition's parse
tree (:func:`regulars.domain.promotions.condition_cost.analyse`, the parser the conditions'
checks use), not on its text: comments, strings that spell ``member.x``, spaces around the
dot and comprehension variables that happen to be called ``member`` are what CEL makes of
them.

``member`` is declared as a record of some fields only (:func:`undeclared_member_reads`): a
condition may read those fields (``member.level``, ``member["level"]``, ``has(member.level)``)
and compare ``member`` with ``null``; any other field, a key that is not a plain string
literal, and ``member`` used whole (passed to a function, put in a list, iterated) read what
the declaration does not hold.
"""

from __future__ import annotations

import re

from regulars.domain.promotions.condition_cost import Node

MEMBER = "member"
WHOLE = "member"
"""What :func:`undeclared_member_reads` reports for ``member`` used whole."""
_PLAIN_KEY = re.compile(r"""^(['"])([A-Za-z_]\w*)\1$""")


def _free_member(node: Node, bound: frozenset[str]) -> bool:
    return node.kind == "ident" and node.name == MEMBER and MEMBER not in bound


def _key(node: Node) -> str | None:
    """The field a ``member[...]`` index names: a plain string literal's text only."""
    found = _PLAIN_KEY.match(node.name) if node.kind == "lit" else None
    return None if found is None else found.group(2)


def _reads(node: Node, bound: frozenset[str], fields: frozenset[str], out: set[str]) -> None:
    if node.kind == "select" and _free_member(node.args[0], bound):
        if node.name not in fields:
            out.add(f"{MEMBER}.{node.name}")
        return
    if node.kind == "index" and _free_member(node.args[0], bound):
        key = _key(node.args[1])
        if key not in fields:
            out.add(f"{MEMBER}.{key}" if key else f"{MEMBER}[…]")
        _reads(node.args[1], bound, fields, out)
        return
    if (
        node.kind == "binary"
        and node.name in ("==", "!=")
        and any(_free_member(a, bound) for a in node.args)
        and any(a.kind == "lit" and a.name == "null" for a in node.args)
    ):
        return
    if _free_member(node, bound):
        out.add(WHOLE)
        return
    if node.kind == "macro":
        _reads(node.args[0], bound, fields, out)
        variable = node.args[1]
        inner = bound | {variable.name} if variable.kind == "ident" else bound
        for body in node.args[2:]:
            _reads(body, inner, fields, out)
        return
    for child in node.args:
        _reads(child, bound, fields, out)


def undeclared_member_reads(root: Node, fields: frozenset[str]) -> list[str]:
    """What the condition parsed as ``root`` reads of ``member`` beyond ``fields``, sorted:
    ``member.<field>`` for a field, ``member[…]`` for a key that is not a plain string
    literal, ``member`` (:data:`WHOLE`) for the member used whole."""
    out: set[str] = set()
    _reads(root, frozenset(), fields, out)
    return sorted(out)
