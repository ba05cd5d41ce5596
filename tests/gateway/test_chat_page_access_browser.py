"""Issue #14, item 3: every text of the chat page readable (WCAG AA, 4.5:1) and every button or link
big enough for a thumb (44 px), on both phones, in each state the page can be in: a conversation with
chips, call buttons and answer tools, a placeholder, the counter and the cut note, a request under way
(disabled buttons), a failed message with its alert and 重发, and the no-network banner.

The check (tests/gateway/browser.py, CONTRAST_JS) takes every rendered element with text of its own
and every form field's value and ::placeholder, and computes its computed colour against the background
it is painted on (the first opaque background up its ancestors, translucent ones blended).
"""

from __future__ import annotations

import pytest

from tests.gateway.browser import (
    CHROMIUM,
    MISSING,
    WAGES_QUESTION,
    ask,
    bubbles_of,
    contrast_failures,
    shoot,
    small_targets,
    wait_for_answer,
)

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(180)]

if not CHROMIUM.exists():
    pytest.skip(MISSING, allow_module_level=True)

from playwright.sync_api import expect  # noqa: E402


def readable(page, at_least: int) -> None:
    failures, checked = contrast_failures(page)
    assert checked >= at_least, f"only {checked} texts found: the check did not see the page"
    assert failures == [], f"texts under 4.5:1: {failures}"
    small, targets = small_targets(page)
    assert targets >= 2
    assert small == [], f"buttons or links under 44 px: {small}"


def test_every_text_readable_and_every_target_big_enough(page, gateway, kb):
    page.goto(gateway + "/")
    wait_for_answer(page, 1)
    ask(page, WAGES_QUESTION)
    wait_for_answer(page, 1 + bubbles_of(kb, "unpaid_wages"))
    # what the issue measured: button text, 发送, timestamps, placeholder, phone links
    expect(page.locator(".time").first).to_be_visible()
    expect(page.locator("a.call").first).to_be_visible()
    expect(page.locator(".chip").first).to_be_visible()
    assert page.get_by_label("输入您的问题").get_attribute("placeholder")
    readable(page, at_least=20)

    # the counter and the cut note
    page.get_by_label("输入您的问题").fill("工" * 3020)  # over the page's limit (3000, a long job ad)
    expect(page.locator("#cut-note")).to_be_visible()
    expect(page.locator("#counter")).to_be_visible()
    readable(page, at_least=20)
    page.get_by_label("输入您的问题").fill("")

    # a request under way: typing bubble, disabled chips and 发送
    held = []
    page.route("**/api/messages", lambda route: held.append(route))
    page.locator(".chip").first.click()
    expect(page.locator(".row.typing")).to_have_count(1)
    expect(page.locator("#send")).to_be_disabled()
    expect(page.locator(".chip").first).to_be_disabled()
    readable(page, at_least=20)
    for _ in range(50):
        if held:
            break
        page.wait_for_timeout(100)
    held[0].abort()

    # the failure: its mark, its alert, 重发; then no network at all: the banner
    expect(page.get_by_role("alert")).to_have_count(1)
    expect(page.locator(".row.user.failed .retry")).to_be_visible()
    page.context.set_offline(True)
    expect(page.locator("#offline")).to_be_visible()
    readable(page, at_least=20)
    shoot(page, "chat-states.png")
    page.context.set_offline(False)
    expect(page.locator("#offline")).to_be_hidden()
