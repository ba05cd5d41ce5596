"""Issue #14, item 4: the greeting without a "你好" the worker never sent.

A first visit asks GET /api/welcome (the greeting and topic menu, stored as a bot message) and posts
nothing; a reload shows the greeting from the history, still without a user message. When the
greeting cannot be fetched the page says so, and still sends nothing in the worker's name.
"""

from __future__ import annotations

import json

import pytest

from tests.gateway.browser import (
    CHROMIUM,
    MISSING,
    bot_bubbles,
    posted,
    shoot,
    text_of,
    user_bubbles,
    wait_for_answer,
)

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(180)]

if not CHROMIUM.exists():
    pytest.skip(MISSING, allow_module_level=True)

from playwright.sync_api import expect  # noqa: E402


def test_first_visit_greets_without_a_user_message(page, gateway, kb):
    asked: list[str] = []
    page.on("request", lambda r: asked.append(f"{r.method} {r.url.split('?')[0].removeprefix(gateway)}"))
    bodies = posted(page, "/api/messages")
    page.goto(gateway + "/")
    greeting = wait_for_answer(page, 1)
    assert text_of(greeting) == kb.render("greet")
    expect(page.locator(".chips .chip").first).to_have_text(kb.answers["unpaid_wages"].title)
    expect(user_bubbles(page)).to_have_count(0)
    page.wait_for_timeout(500)
    assert bodies == []
    assert "GET /api/welcome" in asked
    shoot(page, "chat-welcome.png")

    # the greeting is a stored bot message: a reload shows it from the history, once, with its menu
    page.reload()
    expect(bot_bubbles(page)).to_have_count(1)
    assert text_of(bot_bubbles(page).first) == kb.render("greet")
    expect(user_bubbles(page)).to_have_count(0)
    expect(page.locator(".chips .chip").first).to_have_text(kb.answers["unpaid_wages"].title)
    assert bodies == []


def test_the_page_shows_what_welcome_gives(page, gateway):
    """The page's side of the contract: [{"text", "buttons"}] shown as bot bubbles, nothing posted."""
    welcome = [
        {"text": "您好！这是欢迎的话。", "buttons": [{"title": "拖欠工资", "payload": "/faq_unpaid"}]},
        {"text": "第二段", "buttons": []},
    ]
    page.route(
        "**/api/welcome",
        lambda route: route.fulfill(
            status=200, content_type="application/json", body=json.dumps(welcome, ensure_ascii=False)
        ),
    )
    page.route(
        "**/api/history*",
        lambda route: route.fulfill(status=200, content_type="application/json", body='{"messages": []}'),
    )
    bodies = posted(page, "/api/messages")
    page.goto(gateway + "/")
    expect(bot_bubbles(page)).to_have_text(["您好！这是欢迎的话。", "第二段"])
    expect(page.locator(".chips .chip")).to_have_text(["拖欠工资"])
    expect(user_bubbles(page)).to_have_count(0)
    page.wait_for_timeout(300)
    assert bodies == []


def test_no_welcome_no_fake_message(page, gateway):
    page.route("**/api/welcome", lambda route: route.fulfill(status=502, body="bad gateway"))
    bodies = posted(page, "/api/messages")
    page.goto(gateway + "/")
    expect(page.get_by_role("alert")).to_have_text("网络不通，请稍后刷新再试，也可以直接打字问")
    expect(user_bubbles(page)).to_have_count(0)
    expect(bot_bubbles(page)).to_have_count(0)
    page.wait_for_timeout(300)
    assert bodies == []
