"""A business's colours and logo, checked, and what the customer page draws with them.

Colours are ``#rrggbb`` (a person may type ``#RGB`` or leave out the ``#``; they are stored in
the long, lower-case form). Text on a colour is black or white, whichever contrasts more by the
WCAG relative-luminance formula; links are drawn in the brand colour only where it reads on
white (contrast 4.5:1, WCAG AA for body text), else in the page's ink.

Logos are PNG, JPEG, WebP or GIF, recognised by their first bytes rather than by the name or
type the browser sent, and at most :data:`LOGO_MAX_BYTES`. SVG is refused: it may carry script.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

LOGO_MAX_BYTES = 256 * 1024
INK = "#1d2330"
"""The page's own text colour (``--ink`` in regulars.css)."""
PAPER = "#ffffff"
BLACK = "#000000"
READABLE = 4.5
_HEX = re.compile(r"#?([0-9a-fA-F]{6}|[0-9a-fA-F]{3})")
_SIGNATURES = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
)


class BadColour(ValueError):
    """Not a colour written as ``#rrggbb``."""


class BadLogo(ValueError):
    """Not an image of a kind we serve, or too large; ``reason`` says which."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def parse_colour(text: str) -> str:
    """``text`` as ``#rrggbb``; raises :class:`BadColour`."""
    found = _HEX.fullmatch(text.strip())
    if found is None:
        raise BadColour(text)
    digits = found.group(1).lower()
    if len(digits) == 3:
        digits = "".join(d * 2 for d in digits)
    return "#" + digits


def _luminance(colour: str) -> float:
    def channel(pair: str) -> float:
        value = int(pair, 16) / 255
        return value / 12.92 if value <= 0.04045 else ((value + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(colour[i:i + 2]) for i in (1, 3, 5))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(first: str, second: str) -> float:
    """The WCAG contrast ratio of two ``#rrggbb`` colours (1 to 21)."""
    high, low = sorted((_luminance(first), _luminance(second)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def ink_on(colour: str) -> str:
    """Black-ish or white text on ``colour``: whichever contrasts more, and pure black where
    neither reaches 4.5:1 (a mid green, say): black or white always does on any colour."""
    best = INK if contrast(INK, colour) >= contrast(PAPER, colour) else PAPER
    if contrast(best, colour) >= READABLE:
        return best
    return BLACK if contrast(BLACK, colour) >= contrast(PAPER, colour) else PAPER


@dataclass(frozen=True, kw_only=True, slots=True)
class Palette:
    """The custom properties the customer page's generated stylesheet sets."""

    brand: str
    brand_ink: str
    link: str
    header: str
    header_ink: str


def palette(*, brand_colour: str | None, header_colour: str | None,
            default_brand: str, default_header: str) -> Palette:
    brand = brand_colour or default_brand
    header = header_colour or default_header
    return Palette(brand=brand, brand_ink=ink_on(brand),
                   link=brand if contrast(brand, PAPER) >= READABLE else INK,
                   header=header, header_ink=ink_on(header))


def logo_type(data: bytes) -> str:
    """The content type of an accepted logo; raises :class:`BadLogo` (``empty``, ``too
    large`` or ``not an image``)."""
    if not data:
        raise BadLogo("empty")
    if len(data) > LOGO_MAX_BYTES:
        raise BadLogo("too large")
    for signature, content_type in _SIGNATURES:
        if data.startswith(signature):
            return content_type
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    raise BadLogo("not an image")
