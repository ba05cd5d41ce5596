"""Issue #14, item 6 (the page's part): a call back after a handoff, and new messages while the page is open.

After a reply item with "handoff": true the page offers "留个电话，工作人员回电", says who sees the number,
and posts POST /api/callback {"phone"}. While the page is visible it asks GET /api/history?after=<last id>
every 10 s and shows what is new: a staff member's reply ("staff": true) is a bot-side bubble labelled
工作人员. A hidden page (another app in front) does not poll; coming back polls at once.
"""

from __future__ import annotations

import json

import pytest

from tests.gateway.browser import (
    CHROMIUM,
    MISSING,
    ask,
    bot_bubbles,
    bot_rows,
    contrast_failures,
    posted,
    shoot,
    small_targets,
    wait_for_answer,
)

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(180)]

if not CHROMIUM.exists():
    pytest.skip(MISSING, allow_module_level=True)

from playwright.sync_api import expect  # noqa: E402

HANDOFF_REPLY = "好的，我帮您转给县转移就业服务中心的工作人员。"
WHY = "只有县转移就业服务中心的工作人员能看到，用来给您回电"
STAFF_TEXT = "您好，我是县就业服务中心的工作人员，下午三点给您回电话。"
# the page's visibility, settable by the test (a phone switching apps)
VISIBILITY = """
window.__hidden = false;
Object.defineProperty(Document.prototype, "visibilityState", {
  configurable: true, get() { return window.__hidden ? "hidden" : "visible"; } });
Object.defineProperty(Document.prototype, "hidden", {
  configurable: true, get() { return window.__hidden; } });
"""


def wait_for_requests(page, seen: list, count: int, seconds: float = 10) -> None:
    for _ in range(int(seconds * 10)):
        if len(seen) >= count:
            return
        page.wait_for_timeout(100)
    raise AssertionError(f"{count} requests expected, {len(seen)} seen: {seen}")


def json_reply(route, body, status=200):
    route.fulfill(status=status, content_type="application/json", body=json.dumps(body, ensure_ascii=False))


def test_handoff_offers_a_call_back(page, gateway):
    page.route(
        "**/api/messages",
        lambda route: json_reply(route, [{"text": HANDOFF_REPLY, "buttons": [], "id": 41, "handoff": True}]),
    )
    calls: list[dict] = []

    def callback(route):
        calls.append(json.loads(route.request.post_data))
        json_reply(route, {"ok": True})

    page.route("**/api/callback", callback)
    page.goto(gateway + "/")
    wait_for_answer(page, 1)
    expect(page.locator(".callback")).to_have_count(0)  # no form before anyone asked for a person
    ask(page, "转人工")
    expect(bot_bubbles(page).last).to_have_text(HANDOFF_REPLY)
    form = bot_rows(page).last.locator("form.callback")
    expect(form).to_be_visible()
    expect(form.locator(".callback-title")).to_have_text("留个电话，工作人员回电")
    expect(form.locator(".callback-why")).to_have_text(WHY)
    phone = form.get_by_label("您的电话")
    assert phone.get_attribute("type") == "tel"
    assert phone.get_attribute("autocomplete") == "tel"
    shoot(page, "chat-callback.png")
    assert contrast_failures(page)[0] == []
    assert small_targets(page)[0] == []

    # not a phone number: said so, nothing posted
    phone.fill("12345")
    form.get_by_role("button", name="提交").click()
    expect(form.locator(".callback-error")).to_have_text("请填11位手机号，或带区号的座机号")
    assert calls == []

    phone.fill("138 1234 5678")
    form.get_by_role("button", name="提交").click()
    done = bot_rows(page).last.locator(".callback-done")
    expect(done).to_have_text("已收到：13812345678。工作人员会打这个电话给您回电。")
    assert calls == [{"phone": "13812345678"}]
    expect(page.locator("form.callback")).to_have_count(0)


def test_a_failed_call_back_keeps_the_number(page, gateway):
    page.route(
        "**/api/messages",
        lambda route: json_reply(route, [{"text": HANDOFF_REPLY, "buttons": [], "id": 41, "handoff": True}]),
    )
    page.route("**/api/callback", lambda route: route.fulfill(status=502, body="bad gateway"))
    page.goto(gateway + "/")
    wait_for_answer(page, 1)
    ask(page, "转人工")
    form = page.locator("form.callback")
    form.get_by_label("您的电话").fill("0874-5120155")
    form.get_by_role("button", name="提交").click()
    expect(form.locator(".callback-error")).to_have_text("网络不通，没有提交上，请稍后再试")
    expect(form.get_by_label("您的电话")).to_have_value("0874-5120155")


def test_new_messages_come_while_the_page_is_open(page, gateway):
    page.add_init_script(VISIBILITY)
    page.clock.install()
    history = [
        {"direction": "in", "text": "转人工", "buttons": [], "at": "2026-05-01T02:00:00Z", "id": 11},
        {"direction": "out", "text": HANDOFF_REPLY, "buttons": [], "at": "2026-05-01T02:00:01Z", "id": 12},
    ]
    staff = {
        "direction": "out",
        "text": STAFF_TEXT,
        "buttons": [],
        "at": "2026-05-01T02:03:00Z",
        "id": 15,
        "staff": True,
    }
    asked: list[str] = []

    def serve_history(route):
        query = route.request.url.partition("?")[2]
        asked.append(query)
        after = int(query.removeprefix("after=")) if query.startswith("after=") else 0
        json_reply(
            route,
            {"messages": [m for m in [*history, staff] if m["id"] > after and (after or m is not staff)]},
        )

    page.route("**/api/history*", serve_history)
    page.goto(gateway + "/")
    expect(bot_bubbles(page)).to_have_text([HANDOFF_REPLY])
    assert asked == [""]

    page.clock.run_for(10_500)
    expect(bot_bubbles(page)).to_have_text([HANDOFF_REPLY, STAFF_TEXT])
    assert asked == ["", "after=12"]  # one poll in 10.5 s, after the last message shown
    staff_row = bot_rows(page).last
    expect(staff_row).to_have_class("row bot staff")
    expect(staff_row.locator(".who")).to_have_text("工作人员")
    shoot(page, "chat-staff.png")
    assert contrast_failures(page)[0] == []

    # the next poll starts after the staff message: nothing twice
    page.clock.run_for(10_000)
    wait_for_requests(page, asked, 3)
    assert asked == ["", "after=12", "after=15"]
    page.wait_for_timeout(300)
    expect(bot_bubbles(page)).to_have_count(2)

    # hidden (the worker switched to WeChat): no polls; back: one at once
    page.evaluate("() => { window.__hidden = true; document.dispatchEvent(new Event('visibilitychange')); }")
    page.clock.run_for(35_000)
    page.wait_for_timeout(1_000)  # time for a wrong poll to arrive
    assert len(asked) == 3
    page.evaluate("() => { window.__hidden = false; document.dispatchEvent(new Event('visibilitychange')); }")
    wait_for_requests(page, asked, 4)
    assert asked[3:] == ["after=15"]


def test_call_back_through_the_gateway(page, gateway, kb):
    bodies = posted(page, "/api/callback")
    page.goto(gateway + "/")
    wait_for_answer(page, 1)
    with page.expect_response(
        lambda r: r.request.method == "POST" and r.url.endswith("/api/messages")
    ) as answer:
        ask(page, "转人工")
    assert answer.value.json()[-1]["handoff"] is True
    form = page.locator("form.callback")
    expect(form).to_be_visible()
    form.get_by_label("您的电话").fill("13812345678")
    with page.expect_response("**/api/callback") as response:
        form.get_by_role("button", name="提交").click()
    assert response.value.status == 200 and response.value.json()["ok"] is True
    assert bodies == [{"phone": "13812345678"}]
    expect(page.locator(".callback-done")).to_have_text("已收到：13812345678。" + kb.render("callback_taken"))
