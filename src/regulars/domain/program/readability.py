"""How easily the program's terms read, per language: sentence length in words, word length
in letters, the words of the core rule (how a member earns: one sentence per level) and the
time a reader needs, at the language's silent reading speed.

Pure; the sentences come in already translated. Reading speeds are the mean silent reading
rates of adults measured by the IReST study (Trauzettel-Klosinski & Dietz, 2012): English
228 and Russian 184 words a minute; Ukrainian and Bulgarian, which IReST did not measure,
take Russian's (Cyrillic Slavic languages with words of similar length).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from regulars.domain.money import Rounding, divide

WORDS_PER_MINUTE = {"en": 228, "ru": 184, "uk": 184, "bg": 184}
CORE_RULE_SECONDS = 15
"""The core rule should be read in this time at most."""
_WORD = re.compile(r"[^\W_]+(?:[-'’.,][^\W_]+)*")


@dataclass(frozen=True, kw_only=True)
class Readability:
    """Figures of one language's terms; averages in tenths (``sentence_words_tenths`` 123:
    12.3 words a sentence)."""

    language: str
    sentences: int
    words: int
    sentence_words_tenths: int
    word_letters_tenths: int
    core_words: int
    reading_seconds: int
    core_seconds: int

    @property
    def core_readable(self) -> bool:
        """Whether the core rule can be read in :data:`CORE_RULE_SECONDS`."""
        return self.core_seconds <= CORE_RULE_SECONDS


def words_of(sentence: str) -> list[str]:
    """The words of ``sentence``: runs of letters and digits (``3.5``, ``twenty-five`` and
    ``don't`` are one word each); signs and symbols are not words."""
    return _WORD.findall(sentence)


def seconds_to_read(words: int, language: str) -> int:
    """Whole seconds (rounded up) to read ``words`` at the language's speed."""
    speed = WORDS_PER_MINUTE.get(language, WORDS_PER_MINUTE["en"])
    return divide(words * 60, speed, Rounding.CEILING)


def readability(sentences: list[str], *, language: str, core_sentences: int) -> Readability:
    """Figures of ``sentences`` in ``language``; the first ``core_sentences`` are the core
    rule."""
    counted = [words_of(s) for s in sentences]
    words = sum(len(w) for w in counted)
    letters = sum(len(word) for w in counted for word in w)
    core = sum(len(w) for w in counted[:core_sentences])
    return Readability(
        language=language, sentences=len(sentences), words=words,
        sentence_words_tenths=divide(words * 10, len(sentences), Rounding.HALF_UP)
        if sentences else 0,
        word_letters_tenths=divide(letters * 10, words, Rounding.HALF_UP) if words else 0,
        core_words=core, reading_seconds=seconds_to_read(words, language),
        core_seconds=seconds_to_read(core, language))
