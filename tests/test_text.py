"""One tokenization per article: the word list of the stages and the name recogniser's tokens
come from one regex pass (builder.text.tokens), and are what separate passes gave."""

from __future__ import annotations

import re

import pytest

from builder import names, text

# What each list was before they shared one pass: the stages' words, the recogniser's tokens.
WORDS_ALONE = re.compile(r"[\w\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640]+")
TOKENS_ALONE = re.compile(r"[\w\u0610-\u061A\u064B-\u065F\u0670\u06D6-\u06ED\u0640]+|[^\s\w]")


@pytest.mark.parametrize("body", [
    "وقال وزير الخارجية أحمد علي للصحفيين: «نحن مستعدون للحوار»، مضيفا أن الوفد سيصل غدا.",
    "قال “ مَرْحَبًا ” ـ و « ب » ، 5 % ؟!",  # lone marks, tatweel, a one-letter word, digits
    "\u064e \u0640 _ a-b c.d 3,5 ٣٫٥ …",  # a lone diacritic, a lone tatweel, underscore, Latin
    "U.S. «ناتو»\n\nسطر\u00a0ثان 🙂 (ق)",
    "",
    "   ",
])
def test_one_pass_gives_the_words_and_the_tokens_of_two(body):
    expected_tokens = [(m.group(), m.start(), m.end()) for m in TOKENS_ALONE.finditer(body)]
    expected_words = [(m.group(), m.start(), m.end()) for m in WORDS_ALONE.finditer(body)]
    assert text.tokens(body) == expected_tokens
    assert names.tokenize_with_offsets(body) == expected_tokens
    assert text.index_words(body) == expected_words
    assert text.words(body, 0, len(body)) == expected_words


def test_the_kept_lists_belong_to_the_text_asked_for():
    first, second = "قال أحمد: «نعم».", "وأضاف علي، «لا»"
    assert text.index_words(first) == [(m.group(), m.start(), m.end()) for m in WORDS_ALONE.finditer(first)]
    assert text.tokens(second) == [(m.group(), m.start(), m.end()) for m in TOKENS_ALONE.finditer(second)]
    assert text.index_words(second) == [(m.group(), m.start(), m.end()) for m in WORDS_ALONE.finditer(second)]
    equal_but_other = "".join(list(first))  # the same characters, another string object
    assert text.index_words(equal_but_other) == text.index_words(first)
