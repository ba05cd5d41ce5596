"""Issue #14, item 5: a reload without network opens the page, not the browser's dinosaur.

A service worker (/sw.js, scope /) keeps the page and its assets; the page keeps a copy of the last
history in localStorage and shows it with a "没有网络" banner when the history cannot be fetched. A
message sent while offline fails clearly; once the network is back, its 重发 sends it and the failed
bubble goes away.
"""

from __future__ import annotations

import json

import pytest

from tests.gateway.browser import (
    CHROMIUM,
    MISSING,
    ask,
    bot_bubbles,
    shoot,
    text_of,
    user_bubbles,
    wait_for_answer,
)

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(180)]

if not CHROMIUM.exists():
    pytest.skip(MISSING, allow_module_level=True)

from playwright.sync_api import expect  # noqa: E402

HISTORY_KEY = "huize-chat-history"


class Offline:
    """No network for the page nor for its service worker: Playwright's set_offline does not reach a
    service worker's own fetches in Chromium (microsoft/playwright#2311), so those are failed by a
    route, the way a phone without network fails them; `refused` lists them (proof the worker tried)."""

    def __init__(self, context):
        self.context = context
        self.refused: list[str] = []

    def _route(self, route):
        if route.request.service_worker:
            self.refused.append(route.request.url)
            route.abort("internetdisconnected")
        else:
            route.fallback()

    def start(self):
        self.context.set_offline(True)
        self.context.route("**/*", self._route)
        return self

    def back_online(self):
        self.context.unroute("**/*", self._route)
        self.context.set_offline(False)


def test_the_service_worker_is_served_beside_the_page(gateway):
    import urllib.request

    with urllib.request.urlopen(gateway + "/sw.js", timeout=10) as response:
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/javascript")
        assert "no-cache" in response.headers["Cache-Control"]
        body = response.read().decode()
    assert "static/chat.js" in body and "static/chat.css" in body


def test_reload_offline_shows_the_stored_history(page, gateway, kb):
    page.goto(gateway + "/")
    wait_for_answer(page, 1)
    hotline = kb.answers["hotline_12333"].title
    page.get_by_role("button", name=hotline).click()
    wait_for_answer(page, 2)
    bots = [text_of(b) for b in bot_bubbles(page).all()]
    users = [text_of(b) for b in user_bubbles(page).all()]
    assert bots[-1] == kb.render("hotline_12333")
    # the worker controls this page, with the page and its assets in its cache
    scope = page.evaluate("() => navigator.serviceWorker.ready.then((r) => r.scope)")
    assert scope == gateway + "/"
    cached = page.evaluate(
        """async () => { const found = [];
             for (const name of await caches.keys()) {
               for (const r of await (await caches.open(name)).keys()) found.push(new URL(r.url).pathname); }
             return found.sort(); }"""
    )
    assert {"/", "/static/chat.js", "/static/chat.css", "/static/avatar-bot.svg"} <= set(cached)
    # the last history, kept on the phone
    stored = json.loads(page.evaluate(f"() => localStorage.getItem('{HISTORY_KEY}')"))
    assert [m["text"] for m in stored["messages"] if m["direction"] == "out"] == bots

    offline = Offline(page.context).start()
    page.reload()
    expect(page).to_have_title("会泽务工助手")
    banner = page.locator("#offline")
    expect(banner).to_be_visible()
    expect(banner).to_contain_text("没有网络")
    expect(bot_bubbles(page)).to_have_count(len(bots))
    assert [text_of(b) for b in bot_bubbles(page).all()] == bots
    assert [text_of(b) for b in user_bubbles(page).all()] == users
    expect(page.get_by_role("alert")).to_have_count(0)  # the banner says it; no second error
    # the worker did try the network for the page and its script, and answered from its cache
    assert gateway + "/" in offline.refused and gateway + "/static/chat.js" in offline.refused
    shoot(page, "chat-offline-reload.png")

    # a question while offline fails clearly and keeps its text
    question = "12333是干什么的"
    ask(page, question)
    failed = page.locator(".row.user.failed")
    expect(failed).to_have_count(1)
    expect(failed.locator(".bubble")).to_have_text(question)
    expect(page.get_by_role("alert")).to_have_count(1)

    # network back: the banner goes; 重发 sends it, the answer comes and the failed bubble goes away
    offline.back_online()
    expect(banner).to_be_hidden()
    failed.locator(".retry").click()
    expect(bot_bubbles(page).nth(len(bots))).to_be_visible()
    expect(page.locator(".row.typing")).to_have_count(0)
    expect(page.locator(".row.user.failed")).to_have_count(0)
    expect(page.get_by_role("alert")).to_have_count(0)
    assert [text_of(b) for b in user_bubbles(page).all()] == [*users, question]
    expect(page.get_by_label("输入您的问题")).to_have_value("")
