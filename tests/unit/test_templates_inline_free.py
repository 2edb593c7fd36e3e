"""The pages run under a content security policy without 'unsafe-inline': no template may
hold an inline script, an event-handler attribute or a style attribute."""

from __future__ import annotations

import re
from pathlib import Path

TEMPLATES = Path(__file__).resolve().parents[2] / "src" / "regulars" / "web" / "templates"
INLINE = [
    ("inline <script>", re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I)),
    ("<style> block", re.compile(r"<style\b", re.I)),
    ("style attribute", re.compile(r"\sstyle\s*=", re.I)),
    ("event-handler attribute", re.compile(r"\son[a-z]+\s*=", re.I)),
    ("javascript: URL", re.compile(r"javascript:", re.I)),
]


def test_no_template_holds_inline_script_or_style() -> None:
    found = [f"{path.relative_to(TEMPLATES)}:{text[:match.start()].count(chr(10)) + 1}: {what}"
             for path in sorted(TEMPLATES.rglob("*.html"))
             for text in [path.read_text(encoding="utf-8")]
             for what, pattern in INLINE
             for match in pattern.finditer(text)]
    assert sorted(TEMPLATES.rglob("*.html")) and found == []
