"""Issue #14, item 1: the box a worker types (or voice-types, or pastes a forward) into.

An auto-growing textarea: a long message is seen whole, a forward keeps its line breaks, Enter sends and
Shift+Enter breaks a line, an IME's Enter (choosing characters) sends nothing; a counter near the limit
of 3000 characters (a long forwarded job ad, #17), and a clear word when a paste was cut there (never half an emoji).
"""

from __future__ import annotations

import pytest

from tests.gateway.browser import (
    CHROMIUM,
    MISSING,
    bot_bubbles,
    posted,
    px,
    shoot,
    style,
    text_of,
    user_bubbles,
    wait_for_answer,
)

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(180)]

if not CHROMIUM.exists():
    pytest.skip(MISSING, allow_module_level=True)

from playwright.sync_api import expect  # noqa: E402

# what a voice-typing worker says: one long line, no punctuation to break it
VOICE = "我是娜姑镇的去年腊月跟老乡去东莞电子厂打工干了五个多月老板一直拖着不发工资想问一下应该找哪个部门"
FORWARD = "【转发】\n以下是群众反映：\n张某在浙江打工三个月，车票四百二，能补多少？\n——某村第一书记"


def answered(page) -> None:
    """The bot answered the message just sent (so its request has been seen)."""
    expect(bot_bubbles(page).nth(1)).to_be_visible()
    expect(page.locator(".row.typing")).to_have_count(0)


def box_of(page):
    return page.get_by_label("输入您的问题")


def test_a_long_message_is_seen_whole_and_sent_with_enter(page, gateway):
    page.goto(gateway + "/")
    wait_for_answer(page, 1)
    box = box_of(page)
    assert box.evaluate("node => node.tagName") == "TEXTAREA"
    one_line = box.bounding_box()["height"]
    assert 44 <= one_line <= 56

    box.fill(VOICE)
    # every character is in view: the box grew, nothing scrolled away
    grown = box.bounding_box()["height"]
    line = px(style(box, "lineHeight"))
    assert grown >= one_line + 2 * line
    assert box.evaluate("node => node.scrollHeight <= node.clientHeight + 1")
    # the conversation is still there above it: the box takes at most about half the phone
    assert grown <= page.viewport_size["height"] / 2
    expect(page.locator("#counter")).to_be_hidden()  # far from the limit
    shoot(page, "chat-long-input.png")

    # a very long one: the box stops at six lines and scrolls, the conversation stays in view
    box.fill(VOICE * 5)
    assert box.evaluate("node => node.rows") == 6
    assert style(box, "overflowY") == "auto"
    assert box.bounding_box()["height"] <= 6 * line + 20
    box.fill(VOICE)

    bodies = posted(page, "/api/messages")
    box.press("Enter")
    expect(user_bubbles(page).last).to_have_text(VOICE)
    answered(page)
    assert [b["message"] for b in bodies] == [VOICE]
    expect(box).to_have_value("")
    # the box is one line again once sent
    expect(box).to_have_js_property("rows", 1)
    assert abs(box.bounding_box()["height"] - one_line) < 1


def test_shift_enter_breaks_a_line_and_a_forward_keeps_its_lines(page, gateway):
    page.goto(gateway + "/")
    wait_for_answer(page, 1)
    box = box_of(page)
    bodies = posted(page, "/api/messages")

    box.press_sequentially("第一行")
    box.press("Shift+Enter")
    box.press_sequentially("第二行")
    expect(box).to_have_value("第一行\n第二行")
    # an IME's Enter that picks characters (isComposing) sends nothing
    box.dispatch_event("keydown", {"key": "Enter", "code": "Enter", "isComposing": True, "bubbles": True})
    page.wait_for_timeout(300)
    assert bodies == []
    expect(box).to_have_value("第一行\n第二行")

    # a pasted forward: its line breaks go to the bot and stay in the bubble
    box.fill(FORWARD)
    lines = FORWARD.count("\n") + 1
    assert box.evaluate("node => node.scrollHeight <= node.clientHeight + 1")
    assert box.bounding_box()["height"] >= lines * px(style(box, "lineHeight"))
    box.press("Enter")
    mine = user_bubbles(page).last
    expect(mine).to_have_text(FORWARD)
    assert text_of(mine) == FORWARD
    assert mine.bounding_box()["height"] >= lines * px(style(mine, "lineHeight"))
    answered(page)
    assert [b["message"] for b in bodies] == [FORWARD]


def test_counter_near_the_limit_and_a_clear_word_when_cut(page, gateway):
    page.goto(gateway + "/")
    wait_for_answer(page, 1)
    box = box_of(page)
    counter = page.locator("#counter")
    cut = page.locator("#cut-note")

    # the limit is a long forwarded job ad's (3000), not a question's: the bot reads an ad whole
    box.fill("工" * 600)
    expect(counter).to_be_hidden()
    box.fill("工" * 2960)
    expect(counter).to_be_visible()
    expect(counter).to_have_text("2960/3000")
    expect(cut).to_be_hidden()

    # a paste of 3020 characters: 3000 stay, the page says 20 were left out; the counter says 3000/3000
    box.fill("工" * 3020)
    assert len(box.input_value()) == 3000
    expect(counter).to_have_text("3000/3000")
    expect(cut).to_be_visible()
    expect(cut).to_have_text("超过3000字，后面20字没有放进来，请分开发")
    shoot(page, "chat-input-cut.png")

    # a cut never keeps half an emoji: 👍 is two UTF-16 units but one character
    box.fill("工" * 2999 + "👍👍")
    value = box.input_value()
    assert value == "工" * 2999 + "👍"
    expect(cut).to_have_text("超过3000字，后面1字没有放进来，请分开发")
    bodies = posted(page, "/api/messages")
    box.press("Enter")
    expect(user_bubbles(page).last).to_have_text("工" * 2999 + "👍")
    answered(page)
    assert [b["message"] for b in bodies] == ["工" * 2999 + "👍"]
    # after sending, counter and note are gone
    expect(counter).to_be_hidden()
    expect(cut).to_be_hidden()
    expect(bot_bubbles(page).nth(1)).to_be_visible()

    # shortening the text by hand after a cut takes the note away
    box.fill("工" * 3020)
    expect(cut).to_be_visible()
    box.fill("工资")
    expect(cut).to_be_hidden()
