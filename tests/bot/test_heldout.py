"""The held-out set stays honest: written apart from the training data, and kept apart from it."""

from __future__ import annotations

import difflib
import re
import unicodedata

from bot.tools.evaluate import load_heldout, load_training

NEAR = 0.85


def norm(text: str) -> str:
    """NFKC, lower case, punctuation and spaces removed."""
    return re.sub(r"[\W_]+", "", unicodedata.normalize("NFKC", text).lower())


def _has_near_twin(text: str, training: list[str]) -> bool:
    matcher = difflib.SequenceMatcher(None, text, "", autojunk=False)
    for other in training:
        matcher.set_seq2(other)
        if matcher.real_quick_ratio() >= NEAR and matcher.quick_ratio() >= NEAR and matcher.ratio() >= NEAR:
            return True
    return False


def test_the_heldout_set_is_big_enough():
    assert len(load_heldout()) >= 400


def test_no_heldout_message_occurs_in_the_training_data():
    training = {norm(text) for text, _ in load_training()}
    seen = [text for text, _ in load_heldout() if norm(text) in training]
    assert seen == []


def test_at_most_two_percent_have_a_near_twin_in_the_training_data():
    training = sorted({norm(text) for text, _ in load_training()})
    heldout = [norm(text) for text, _ in load_heldout()]
    twins = [text for text in heldout if _has_near_twin(text, training)]
    assert len(twins) <= 0.02 * len(heldout), twins[:10]
