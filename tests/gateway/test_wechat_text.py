"""WeChat text: numbered buttons, the 2048-byte parts, "更多" and number replies."""

from __future__ import annotations

import pytest

from bot.gateway import messages
from bot.gateway.wechat.text import Answer, as_answer, asks_for_more, chosen_payload, parts, size


def test_buttons_of_all_replies_are_numbered_in_order():
    replies = [
        {"text": "第一段", "buttons": [{"title": "甲", "payload": "/a"}]},
        {"text": "第二段", "buttons": [{"title": "乙", "payload": "/b"}, {"title": "丙", "payload": "/c"}]},
    ]
    assert as_answer(replies) == Answer(
        "第一段\n\n第二段\n\n回复 1 甲\n回复 2 乙\n回复 3 丙", ["/a", "/b", "/c"]
    )


def test_a_reply_without_buttons_has_no_lines():
    assert as_answer([{"text": "答", "buttons": []}]) == Answer("答", [])


@pytest.mark.parametrize(
    "text, payload",
    [("1", "/a"), (" 2 ", "/b"), ("２", "/b"), ("3", None), ("0", None), ("1个", None), ("一", None)],
)
def test_a_number_maps_to_the_button_payload(text, payload):
    assert chosen_payload(text, ["/a", "/b"]) == payload


@pytest.mark.parametrize(
    "text, more", [("更多", True), (" 更多。", True), ("更多！", True), ("更多补贴", False)]
)
def test_asks_for_more(text, more):
    assert asks_for_more(text) is more


def test_a_short_text_is_one_part():
    assert parts("短") == ["短"]


def test_exactly_2048_bytes_is_one_part():
    text = "好" * 682 + "ab"
    assert size(text) == 2048 and parts(text) == [text]


def test_long_text_is_cut_after_sentences():
    sentence = "这是一句关于外出务工的完整的话。"  # 16 characters, 48 bytes
    text = sentence * 100
    cut = parts(text)
    assert len(cut) == 3 and all(size(p) <= 2048 for p in cut)
    bodies = [p.removesuffix("\n\n" + messages.MORE_HINT) for p in cut]
    assert bodies[-1] == cut[-1] and all(b.endswith("。") and b.startswith("这是") for b in bodies)
    assert "".join(bodies) == text


def test_a_sentence_longer_than_a_part_is_cut_by_characters():
    text = "长" * 3000  # 9000 bytes, no sentence end
    cut = parts(text)
    assert all(size(p) <= 2048 for p in cut)
    assert "".join(p.removesuffix("\n\n" + messages.MORE_HINT) for p in cut) == text


def test_cut_at_line_breaks_without_empty_parts():
    text = ("一行字" * 30 + "\n") * 40
    cut = parts(text)
    assert all(p.strip() for p in cut) and all(size(p) <= 2048 for p in cut)
    assert "".join(p.removesuffix("\n\n" + messages.MORE_HINT) for p in cut).replace(
        "\n", ""
    ) == text.replace("\n", "")
