"""Readability of the terms: words and letters counted as a reader sees them, reading time at
each language's speed, and the 15-second warning for the core rule."""

from __future__ import annotations

from regulars.domain.program.program import Level, Program
from regulars.domain.program.readability import readability, seconds_to_read, words_of
from regulars.domain.program.terms import terms


def test_numbers_and_hyphenated_words_are_one_word_and_signs_are_none() -> None:
    assert words_of("You earn 3.5 % back — twenty-five points, don't worry.") == [
        "You", "earn", "3.5", "back", "twenty-five", "points", "don't", "worry"]
    assert words_of("Вы получаете 5 % баллами.") == ["Вы", "получаете", "5", "баллами"]


def test_reading_time_is_rounded_up_at_the_language_speed() -> None:
    assert seconds_to_read(228, "en") == 60
    assert seconds_to_read(229, "en") == 61
    assert seconds_to_read(184, "ru") == 60
    assert seconds_to_read(1, "bg") == 1


def test_averages_are_in_tenths_and_the_core_rule_is_the_first_sentences() -> None:
    found = readability(["One two three.", "Four five.", "Six."], language="en",
                        core_sentences=2)
    assert (found.sentences, found.words, found.sentence_words_tenths) == (3, 6, 20)
    assert found.word_letters_tenths == 37  # 22 letters / 6 words
    assert found.core_words == 5 and found.core_readable


def test_a_long_core_rule_is_flagged() -> None:
    sentences = ["word " * 60 + "end."]
    assert not readability(sentences, language="en", core_sentences=1).core_readable


def test_one_sentence_per_level_makes_the_core_rule() -> None:
    program = Program(levels=tuple(
        Level(code=f"l{i}", name=f"Level {i}", threshold_minor=i * 10_000, rate_bp=100 + i)
        for i in range(8)))
    assert len(terms(program)) > len(program.levels)
