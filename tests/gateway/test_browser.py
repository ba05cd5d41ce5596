"""The chat page in a real browser (Debian's Chromium driven by Playwright), against the real stack.

The gateway runs under waitress in this process, backed by the session's Rasa server and action
server. Two phones (a worker's 360x740 and a 390x844) talk to the bot like a worker would: the greeting
menu on first visit, a tapped chip, a typed question, a reload that keeps the conversation, and a server
that cannot be reached. Screenshots go to reports/screenshots/ (chat.png is the README's picture).
The page's newer parts (issue #14) have their own modules, tests/gateway/test_chat_page_*.py.
"""

from __future__ import annotations

import json

import pytest

from tests.gateway.browser import (
    CHROMIUM,
    MISSING,
    NETWORK_ERROR,
    WAGES_QUESTION,
    bot_bubbles,
    bubbles_of,
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

from actions.topics import answer_buttons  # noqa: E402


def test_conversation_with_chips_and_reload(page, gateway, kb):
    page.goto(gateway + "/")
    expect(page).to_have_title("会泽务工助手")
    expect(page.locator("header h1")).to_have_text("会泽务工助手")

    # first visit: the greeting (GET /api/welcome) brings the topic menu as chips, no "你好" is sent
    greeting = wait_for_answer(page, 1)
    assert text_of(greeting) == kb.render("greet")
    expect(user_bubbles(page)).to_have_count(0)
    # the conversation id is the server's, in a cookie the page's script cannot read
    cookie = {c["name"]: c for c in page.context.cookies()}["huize_chat"]
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax" and cookie["value"].startswith("page-")
    assert "page-" not in page.evaluate("() => document.cookie + JSON.stringify(localStorage)")
    chips = page.locator(".row.bot .chips button.chip")
    expect(chips.first).to_have_text(kb.answers["unpaid_wages"].title)
    assert chips.count() >= 3
    shoot(page, "chat-menu.png")

    # WeChat look and large text: bot left and white, ≥17 px everywhere
    bot_bubble = bot_bubbles(page).first
    assert style(bot_bubble, "backgroundColor") == "rgb(255, 255, 255)"
    assert bot_bubble.bounding_box()["x"] < page.viewport_size["width"] / 2
    for element in (bot_bubble, chips.first, page.locator("#input"), page.locator("#send")):
        assert float(style(element, "fontSize").removesuffix("px")) >= 17
    expect(page.get_by_label("输入您的问题")).to_be_visible()
    expect(page.get_by_role("button", name="发送")).to_be_visible()

    # tap a menu chip: the bubble shows its title, the bot answers its topic, old chips go away
    hotline = kb.answers["hotline_12333"].title
    page.get_by_role("button", name=hotline).click()
    answer = wait_for_answer(page, 2)
    expect(user_bubbles(page).last).to_have_text(hotline)
    assert text_of(answer) == kb.render("hotline_12333")
    expect(page.get_by_role("button", name=kb.answers["unpaid_wages"].title)).to_have_count(0)
    # user right and green
    user_bubble = user_bubbles(page).last
    assert style(user_bubble, "backgroundColor") == "rgb(149, 236, 105)"
    assert user_bubble.bounding_box()["x"] > page.viewport_size["width"] / 2
    assert float(style(user_bubble, "fontSize").removesuffix("px")) >= 17

    # type a question and press Enter; line breaks and "·" bullets of the answer are kept
    box = page.get_by_label("输入您的问题")
    box.fill(WAGES_QUESTION)
    box.press("Enter")
    expect(user_bubbles(page).last).to_have_text(WAGES_QUESTION)
    expect(box).to_have_value("")
    wages = bubbles_of(kb, "unpaid_wages")
    wait_for_answer(page, 2 + wages)
    answer = bot_bubbles(page).nth(2)
    expect(answer).to_contain_text("0874-5125539")
    assert text_of(answer) == kb.render("unpaid_wages")
    assert style(answer, "whiteSpace") == "pre-wrap"
    lines = kb.render("unpaid_wages").count("\n") + 1
    line_height = float(style(answer, "lineHeight").removesuffix("px"))
    assert answer.bounding_box()["height"] >= lines * line_height
    # phone numbers are call buttons under the answer ("拨打 …", a tel: link at least 44 px tall)
    call = page.locator('.row.bot a.call[href="tel:08745125539"]').first
    expect(call).to_have_text("拨打 0874-5125539")
    assert call.bounding_box()["height"] >= 44
    first_time = page.locator(".time").first.text_content()
    assert first_time and ":" in first_time

    # reload: same conversation, the whole conversation comes back from /api/history, nothing is re-sent
    page.reload()
    expect(bot_bubbles(page)).to_have_count(2 + wages)
    expect(user_bubbles(page)).to_have_text([hotline, WAGES_QUESTION])
    assert text_of(bot_bubbles(page).nth(2)) == kb.render("unpaid_wages")
    assert {c["name"]: c["value"] for c in page.context.cookies()}["huize_chat"] == cookie["value"]
    # the stored times (UTC) come back as the same local time line
    expect(page.locator(".time").first).to_have_text(first_time)
    # chips only under the bot's last message: here the calculator offered with the wages answer
    expect(page.locator(".chips button.chip")).to_have_text(
        [b["title"] for b in answer_buttons("unpaid_wages", details=wages == 1)]
    )
    page.wait_for_timeout(500)  # let the scroll settle for the picture
    shoot(page, "chat.png")


def test_unreachable_server_keeps_the_text(page, gateway, kb):
    page.goto(gateway + "/")
    wait_for_answer(page, 1)

    # hold the next request to see the typing indicator, then make it fail
    held = []
    page.route("**/api/messages", lambda route: held.append(route))
    box = page.get_by_label("输入您的问题")
    question = "外出务工交通补助标准是多少"
    box.fill(question)
    page.get_by_role("button", name="发送").click()
    expect(page.get_by_text("对方正在输入…")).to_be_visible()
    expect(page.get_by_role("button", name="发送")).to_be_disabled()
    for _ in range(50):  # the route handler runs while Playwright waits
        if held:
            break
        page.wait_for_timeout(100)
    assert held, "the message never reached the network"
    held[0].abort()

    expect(page.get_by_role("alert")).to_have_text(NETWORK_ERROR)
    expect(page.get_by_text("对方正在输入…")).to_have_count(0)
    expect(box).to_have_value(question)
    expect(page.locator(".row.user.failed")).to_have_count(1)
    expect(page.locator(".row.user.failed .retry")).to_have_text("重发")
    shoot(page, "chat-offline.png")

    # a tapped chip fails the same clear way and leaves the kept text alone
    page.unroute("**/api/messages")
    page.route("**/api/messages", lambda route: route.fulfill(status=502, body="bad gateway"))
    page.get_by_role("button", name=kb.answers["job_scam"].title).click()
    expect(page.get_by_role("alert")).to_have_count(2)
    expect(box).to_have_value(question)

    # back online: pressing 发送 again sends the kept text and the answer comes; the failed bubble of
    # that text and its alert go away (the chip's stay: it was not sent again)
    page.unroute("**/api/messages")
    page.get_by_role("button", name="发送").click()
    wait_for_answer(page, 1 + bubbles_of(kb, "transport_subsidy"))
    assert text_of(bot_bubbles(page).nth(1)) == kb.render("transport_subsidy")
    expect(box).to_have_value("")
    expect(user_bubbles(page)).to_have_text([kb.answers["job_scam"].title, question])
    expect(page.locator(".row.user.failed")).to_have_count(1)
    expect(page.locator(".row.user.failed .bubble")).to_have_text(kb.answers["job_scam"].title)
    expect(page.get_by_role("alert")).to_have_count(1)


def test_text_is_never_html(page, gateway):
    page.goto(gateway + "/")
    wait_for_answer(page, 1)
    box = page.get_by_label("输入您的问题")
    box.fill('<img src=x onerror="window.hacked=1"><b>工资</b>')
    box.press("Enter")
    expect(bot_bubbles(page).nth(1)).to_be_visible()  # one bubble or two, whatever the answer
    expect(page.locator(".row.typing")).to_have_count(0)
    mine = user_bubbles(page).last
    expect(mine).to_have_text('<img src=x onerror="window.hacked=1"><b>工资</b>')
    expect(mine.locator("img, b")).to_have_count(0)
    assert page.evaluate("() => window.hacked") is None


def test_half_an_emoji_left_by_the_input_limit_is_not_sent(page, gateway):
    """Issue #13, item 4: a cut can end in half an emoji; the page sends whole characters only."""
    page.goto(gateway + "/")
    wait_for_answer(page, 1)
    sent: list[str] = []
    page.on("request", lambda r: sent.append(r.post_data) if r.url.endswith("/api/messages") else None)
    box = page.get_by_label("输入您的问题")
    box.evaluate("(el) => { el.value = '工资' + '\\ud83d'; }")  # what a cut through 👍 leaves
    box.press("Enter")
    expect(bot_bubbles(page).nth(1)).to_be_visible()
    assert [json.loads(body)["message"] for body in sent] == ["工资"]
