"""Issue #14, item 2: copying an answer for a WeChat group.

"复制" under each answer, "复制全部回答" under the last bubble of an answer given in several bubbles; the
clipboard gets the plain text as the bubbles show it, with the answer's "来源：…" line (a details bubble,
which has none of its own, gets its answer's); "已复制" says it worked. navigator.clipboard where the
browser has it, else a textarea and document.execCommand("copy").
"""

from __future__ import annotations

import pytest

from tests.gateway.browser import (
    CHROMIUM,
    MISSING,
    WAGES_QUESTION,
    ask,
    bot_rows,
    bubbles_of,
    shoot,
    text_of,
    wait_for_answer,
)

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(180)]

if not CHROMIUM.exists():
    pytest.skip(MISSING, allow_module_level=True)

from playwright.sync_api import expect  # noqa: E402

# a browser without the async clipboard API (older WebViews, plain http): record what execCommand copies
NO_CLIPBOARD = """
Object.defineProperty(Navigator.prototype, "clipboard", { get: () => undefined, configurable: true });
window.__copied = [];
const original = document.execCommand.bind(document);
document.execCommand = function (command, ...rest) {
  if (command === "copy") {
    const node = document.activeElement;
    window.__copied.push(node && node.tagName === "TEXTAREA" && node.id !== "input"
      ? node.value.slice(node.selectionStart, node.selectionEnd) : "(nothing selected)");
  }
  return original(command, ...rest);
};
"""


def source_line(text: str) -> str:
    lines = [line for line in text.split("\n") if line.startswith("来源：")]
    assert lines, f"no source line in {text!r}"
    return lines[-1]


def wages_answer(page, gateway, kb):
    page.goto(gateway + "/")
    wait_for_answer(page, 1)
    ask(page, WAGES_QUESTION)
    parts = bubbles_of(kb, "unpaid_wages")
    assert parts == 2, "the test needs an answer given in two bubbles"
    wait_for_answer(page, 1 + parts)
    rows = bot_rows(page)
    return rows.nth(1), rows.nth(2)


def test_copy_one_answer_and_all_of_it(page, gateway, kb):
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=gateway)
    first, details = wages_answer(page, gateway, kb)
    first_text = text_of(first.locator(".bubble"))
    details_text = text_of(details.locator(".bubble"))
    assert first_text == kb.render("unpaid_wages")
    assert "来源：" not in details_text

    # every bot bubble has its own 复制; only the two-bubble answer has 复制全部回答, under its last bubble
    expect(page.locator(".row.bot .copy")).to_have_count(3)
    expect(page.locator(".row.bot .copy-all")).to_have_count(1)
    expect(details.locator(".copy-all")).to_have_text("复制全部回答")

    copy = first.locator(".copy")
    expect(copy).to_have_text("复制")
    copy.click()
    expect(copy).to_have_text("已复制")
    assert page.evaluate("() => navigator.clipboard.readText()") == first_text
    assert source_line(first_text).startswith("来源：《转移就业政策问答》第9问")
    expect(copy).to_have_text("复制", timeout=5_000)  # back after a moment, ready for the next tap

    # the details alone: with the answer's source line, so a forwarded part still says where it is from
    details.locator(".copy").click()
    expect(details.locator(".copy")).to_have_text("已复制")
    assert page.evaluate("() => navigator.clipboard.readText()") == (
        details_text + "\n" + source_line(first_text)
    )

    # the whole answer, bubbles separated by an empty line, plain text (no buttons, no 拨打)
    details.locator(".copy-all").click()
    expect(details.locator(".copy-all")).to_have_text("已复制")
    copied = page.evaluate("() => navigator.clipboard.readText()")
    assert copied == first_text + "\n\n" + details_text
    assert "拨打" not in copied and "复制" not in copied
    shoot(page, "chat-copy.png")


def test_copy_without_the_clipboard_api(page, gateway, kb):
    page.add_init_script(NO_CLIPBOARD)
    first, details = wages_answer(page, gateway, kb)
    assert page.evaluate("() => navigator.clipboard") is None
    first.locator(".copy").click()
    expect(first.locator(".copy")).to_have_text("已复制")
    details.locator(".copy-all").click()
    expect(details.locator(".copy-all")).to_have_text("已复制")
    assert page.evaluate("() => window.__copied") == [
        text_of(first.locator(".bubble")),
        text_of(first.locator(".bubble")) + "\n\n" + text_of(details.locator(".bubble")),
    ]
    # the helper textarea is gone again, and the worker's box kept its focus rules (nothing typed into it)
    expect(page.locator("textarea")).to_have_count(1)
    expect(page.get_by_label("输入您的问题")).to_have_value("")
