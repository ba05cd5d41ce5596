"""Issue #13, item 4: a cut never ends inside a surrogate pair, an emoji sequence or an accented letter."""

from __future__ import annotations

import json

import pytest

from bot.plugins import graphemes

FAMILY = "👨\u200d👩\u200d👧"  # five code points, one picture
FLAG = "🇨🇳"  # two regional indicators
KEYCAP = "1\ufe0f\u20e3"
ACCENT = "e\u0301"


@pytest.mark.parametrize("cluster", [FAMILY, FLAG, KEYCAP, ACCENT, "👍🏽"])
def test_a_cut_keeps_a_cluster_whole_or_leaves_it_out(cluster):
    pieces = ["工", "资", cluster, "怎", "么", "办"]
    boundaries = ["".join(pieces[:n]) for n in range(len(pieces) + 1)]
    text = boundaries[-1]
    for limit in range(len(text) + 1):
        assert graphemes.cut(text, limit) == max((b for b in boundaries if len(b) <= limit), key=len)


def test_the_tail_counts_within_the_limit_and_comes_only_when_cut():
    assert graphemes.cut("老板拖欠工资怎么办", 5, tail="…") == "老板拖欠…"
    assert graphemes.cut("老板拖欠", 5, tail="…") == "老板拖欠"


def test_lone_surrogates_become_replacement_characters_and_can_be_encoded():
    text = json.loads('"\\ud83d工资\\udc4d"')
    assert graphemes.whole(text) == "\ufffd工资\ufffd"
    graphemes.cut(text, 3).encode("utf-8")  # a lone surrogate would raise here
