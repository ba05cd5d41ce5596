"""Issue #14, item 8: 👍 / 👎 under each answer.

Each reply of POST /api/messages carries the stored bot message's "id"; a tap posts POST /api/feedback
{"id", "value": "up" | "down" | null} (a second tap on the pressed one takes it back), and GET
/api/history gives "feedback" back, so a reload shows what was pressed. A reply without an id gets no
buttons (there is nothing to attach the feedback to), nor does the greeting (it answers no question).
"""

from __future__ import annotations

import json

import pytest

from tests.gateway.browser import (
    CHROMIUM,
    MISSING,
    WAGES_QUESTION,
    ask,
    bot_rows,
    bubbles_of,
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


def pressed(row) -> tuple[str | None, str | None]:
    return row.locator(".up").get_attribute("aria-pressed"), row.locator(".down").get_attribute(
        "aria-pressed"
    )


def answered(page):
    """Waits for the page's POST /api/messages; .value is the response."""
    return page.expect_response(lambda r: r.request.method == "POST" and r.url.endswith("/api/messages"))


def test_feedback_is_stored_and_comes_back(page, gateway, kb):
    page.goto(gateway + "/")
    wait_for_answer(page, 1)
    expect(bot_rows(page).first.locator(".up")).to_have_count(0)  # the greeting answers no question
    bodies = posted(page, "/api/feedback")
    with answered(page) as response:
        ask(page, WAGES_QUESTION)
    parts = bubbles_of(kb, "unpaid_wages")
    wait_for_answer(page, 1 + parts)
    ids = [r["id"] for r in response.value.json()]
    assert len(ids) == parts and all(isinstance(i, int) for i in ids)
    answer = bot_rows(page).nth(1)

    with page.expect_response("**/api/feedback") as response:
        answer.locator(".up").click()
    assert response.value.status == 200 and response.value.json() == {"ok": True}
    assert bodies == [{"id": ids[0], "value": "up"}]
    assert pressed(answer) == ("true", "false")

    page.reload()
    wait_for_answer(page, 1 + parts)
    answer = bot_rows(page).nth(1)
    assert pressed(answer) == ("true", "false")
    with page.expect_response("**/api/feedback"):
        answer.locator(".up").click()  # taken back
    with page.expect_response("**/api/feedback"):
        answer.locator(".down").click()
    assert bodies[1:] == [{"id": ids[0], "value": None}, {"id": ids[0], "value": "down"}]
    page.reload()
    wait_for_answer(page, 1 + parts)
    assert pressed(bot_rows(page).nth(1)) == ("false", "true")
    assert pressed(bot_rows(page).nth(2)) == ("false", "false")


def test_the_page_posts_feedback_for_the_reply_id(page, gateway, kb):
    """The page's side of the contract, with the ids and the endpoint stood in by the test."""
    ids = iter(range(901, 999))

    def with_ids(route):
        response = route.fetch()
        items = [{**item, "id": next(ids)} for item in response.json()]
        items[-1]["id"] = None  # a reply the server could not store: no buttons
        route.fulfill(response=response, body=json.dumps(items, ensure_ascii=False))

    answers: list[dict] = []

    def feedback(route):
        answers.append(json.loads(route.request.post_data))
        if len(answers) == 3:
            route.fulfill(status=500, body="broken")
        else:
            route.fulfill(status=200, content_type="application/json", body='{"ok": true}')

    page.route("**/api/messages", with_ids)
    page.route("**/api/feedback", feedback)
    page.goto(gateway + "/")
    wait_for_answer(page, 1)
    ask(page, WAGES_QUESTION)
    parts = bubbles_of(kb, "unpaid_wages")
    wait_for_answer(page, 1 + parts)
    first, last = bot_rows(page).nth(1), bot_rows(page).nth(parts)
    expect(last.locator(".up")).to_have_count(0)  # id null
    up, down = first.locator(".up"), first.locator(".down")
    assert up.get_attribute("aria-label") == "有用" and down.get_attribute("aria-label") == "没用"

    up.click()
    expect(up).to_have_attribute("aria-pressed", "true")
    down.click()
    expect(down).to_have_attribute("aria-pressed", "true")
    expect(up).to_have_attribute("aria-pressed", "false")
    shoot(page, "chat-feedback.png")
    failures, _ = contrast_failures(page)
    assert failures == []
    assert small_targets(page)[0] == []
    # a feedback the server did not take: the button goes back to what it was, and the worker is told
    down.click()
    expect(down).to_have_attribute("aria-pressed", "true")
    expect(first.locator(".feedback-note")).to_have_text("没有提交上，请稍后再试")
    first_id = answers[0]["id"]
    assert answers == [
        {"id": first_id, "value": "up"},
        {"id": first_id, "value": "down"},
        {"id": first_id, "value": None},
    ]
    assert first_id >= 901
