"""What the page tests share: Debian's Chromium under Playwright, the app served by waitress, the
phone-sized pages (a worker's 360x740 and the 390x844 the first tests used), and the checks of the
chat page (contrast, tap targets).

The fixtures (`browser`, `gateway`, `page`) reach the page test modules through tests/gateway/conftest.py.
"""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot import paths

CHROMIUM = Path("/usr/bin/chromium")
# the flags this machine needs: no sandbox as root, and no background calls to a network that is closed
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
SCREENSHOTS = paths.REPO / "reports" / "screenshots"
MISSING = "needs Debian's Chromium at /usr/bin/chromium (apt-get install chromium fonts-noto-cjk)"

# the worker's cheap phone, and the phone the first page tests were written for (its pictures keep
# their names; the 360 px ones get "-360" before ".png")
PHONES = {"390x844": {"width": 390, "height": 844}, "360x740": {"width": 360, "height": 740}}
NETWORK_ERROR = "网络不通，消息没有发出去，请稍后再试"
WAGES_QUESTION = "老板拖欠工资怎么办"
AA = 4.5  # WCAG AA contrast for normal text
TARGET = 44  # px, the smallest button or link a thumb should have to hit


@contextlib.contextmanager
def serve(app, name: str) -> Iterator[str]:
    """Run a WSGI app under waitress on a free loopback port; yields its base URL."""
    import waitress

    server = waitress.create_server(app, host="127.0.0.1", port=0, threads=4)
    thread = threading.Thread(target=server.run, name=name, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.effective_port}"
    finally:
        server.task_dispatcher.shutdown()
        server.close()
        thread.join(timeout=5)


@contextlib.contextmanager
def chromium() -> Iterator:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


# ---- fixtures -------------------------------------------------------------------------------------


def stack_app(stack, folder: Path, **config):
    """The Flask gateway in front of the real Rasa and action server, on a database in `folder`."""
    from bot.gateway import create_app

    return create_app(
        {
            "RASA_URL": stack.rasa_url,
            "RASA_TOKEN": stack.rasa_token,
            "ACTIONS_URL": stack.actions_url,
            "TRANSCRIPTS_DB": str(folder / "t.db"),
            "TESTING": True,
            **config,
        },
        instance_path=folder / "instance",
    )


@pytest.fixture(scope="module")
def gateway(stack, tmp_path_factory):
    """The Flask gateway under waitress on a free loopback port; yields its base URL."""
    with serve(stack_app(stack, tmp_path_factory.mktemp("gateway")), "gateway") as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    with chromium() as launched:
        yield launched


def new_phone(browser, viewport: dict, **options):
    """A fresh phone: new context, so empty localStorage, no service worker and no cookie."""
    return browser.new_context(
        viewport=viewport,
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
        **options,
    )


@pytest.fixture(params=list(PHONES))
def page(request, browser):
    """A new conversation on each phone size; fails the test on any JavaScript error of the page."""
    context = new_phone(browser, PHONES[request.param])
    errors: list[str] = []
    tab = context.new_page()
    tab.on("pageerror", lambda error: errors.append(str(error)))
    yield tab
    context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


# ---- reading the page -----------------------------------------------------------------------------


def bot_bubbles(page):
    return page.locator(".row.bot:not(.typing) .bubble")


def user_bubbles(page):
    return page.locator(".row.user .bubble")


def bot_rows(page):
    return page.locator(".row.bot:not(.typing)")


def text_of(locator) -> str:
    """The exact text of an element, line breaks included (no whitespace normalising)."""
    return locator.evaluate("node => node.textContent")


def style(locator, prop: str) -> str:
    return locator.evaluate("(node, prop) => getComputedStyle(node)[prop]", prop)


def px(value: str) -> float:
    return float(value.removesuffix("px"))


def shoot(page, name: str) -> None:
    """A picture for reports/screenshots/; the 360 px phone's get "-360" before ".png"."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    if page.viewport_size and page.viewport_size["width"] != 390:
        name = name.removesuffix(".png") + f"-{page.viewport_size['width']}.png"
    page.screenshot(path=str(SCREENSHOTS / name))


def bubbles_of(kb, key: str) -> int:
    """A typed question gets the answer's first bubble, then its details (when it has any)."""
    return 2 if kb.details(key, source=False) else 1


def wait_for_answer(page, bots: int):
    from playwright.sync_api import expect

    expect(bot_bubbles(page)).to_have_count(bots)
    expect(page.locator(".row.typing")).to_have_count(0)
    return bot_bubbles(page).nth(bots - 1)


def posted(page, path: str) -> list:
    """Collects the JSON bodies the page posts to `path` (a list that fills as requests go out)."""
    bodies: list = []

    def seen(request):
        if request.method == "POST" and request.url.split("?")[0].endswith(path):
            bodies.append(json.loads(request.post_data or "null"))

    page.on("request", seen)
    return bodies


def ask(page, text: str) -> None:
    box = page.get_by_label("输入您的问题")
    box.fill(text)
    box.press("Enter")


# ---- contrast and tap targets ---------------------------------------------------------------------

# For every rendered element with text of its own (a text node child, or a form field's value or
# placeholder): its computed colour over the background it is painted on, found by walking up the
# ancestors to the first opaque background and blending any translucent ones (and the text's own
# alpha and the opacity of its ancestors) on the way; WCAG 2 relative luminance and contrast ratio.
CONTRAST_JS = r"""
() => {
  const parse = (value) => {
    const m = /rgba?\(([^)]+)\)/.exec(value || "");
    if (!m) return [0, 0, 0, 0];
    const p = m[1].split(/[\s,\/]+/).filter(Boolean).map(Number);
    return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1];
  };
  const over = (top, bottom) => {
    const a = top[3];
    return [0, 1, 2].map((i) => top[i] * a + bottom[i] * (1 - a)).concat([1]);
  };
  const background = (node) => {
    const layers = [];
    for (let n = node; n; n = n.parentElement) {
      const c = parse(getComputedStyle(n).backgroundColor);
      if (c[3] > 0) layers.push(c);
      if (c[3] >= 1) break;
    }
    let colour = [255, 255, 255, 1]; // the canvas
    for (let i = layers.length - 1; i >= 0; i--) colour = over(layers[i], colour);
    return colour;
  };
  const opacity = (node) => {
    let o = 1;
    for (let n = node; n; n = n.parentElement) o *= Number(getComputedStyle(n).opacity);
    return o;
  };
  const lum = (c) => {
    const ch = c.slice(0, 3).map((v) => {
      v /= 255;
      return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
    });
    return 0.2126 * ch[0] + 0.7152 * ch[1] + 0.0722 * ch[2];
  };
  const ratio = (fg, bg) => {
    const a = lum(fg), b = lum(bg);
    return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
  };
  const check = (node, text, colour, what) => {
    const bg = background(node);
    const fg = over([colour[0], colour[1], colour[2], colour[3] * opacity(node)], bg);
    return {
      what: what,
      text: text.trim().slice(0, 30),
      tag: node.tagName.toLowerCase() + (node.className && typeof node.className === "string" ? "." + node.className.trim().replace(/\s+/g, ".") : ""),
      fg: fg.slice(0, 3).map(Math.round),
      bg: bg.slice(0, 3).map(Math.round),
      ratio: Math.round(ratio(fg, bg) * 100) / 100,
    };
  };
  const rendered = (node) =>
    node.getClientRects().length > 0 &&
    node.checkVisibility({ opacityProperty: true, visibilityProperty: true });
  const found = [];
  for (const node of document.body.querySelectorAll("*")) {
    if (["SCRIPT", "STYLE", "NOSCRIPT", "TEMPLATE"].includes(node.tagName) || !rendered(node)) continue;
    const own = Array.from(node.childNodes)
      .filter((c) => c.nodeType === Node.TEXT_NODE)
      .map((c) => c.textContent)
      .join("");
    if (own.trim()) found.push(check(node, own, parse(getComputedStyle(node).color), "text"));
    if (node.tagName === "TEXTAREA" || (node.tagName === "INPUT" && node.type !== "hidden")) {
      if (node.value) found.push(check(node, node.value, parse(getComputedStyle(node).color), "value"));
      if (node.placeholder) {
        const colour = parse(getComputedStyle(node, "::placeholder").color);
        found.push(check(node, node.placeholder, colour, "placeholder"));
      }
    }
  }
  return found;
}
"""

# every rendered button and link (and form field) with its size on screen
TARGETS_JS = r"""
() => Array.from(document.querySelectorAll("button, a[href], input:not([type=hidden]), textarea, [role=button]"))
  .filter((n) => n.getClientRects().length > 0 && n.checkVisibility({ visibilityProperty: true }))
  .map((n) => {
    const box = n.getBoundingClientRect();
    return { tag: n.tagName.toLowerCase(), text: (n.textContent || n.getAttribute("aria-label") || n.placeholder || "").trim().slice(0, 30), width: box.width, height: box.height };
  })
"""


def contrast_failures(page) -> tuple[list[dict], int]:
    """(texts under 4.5:1, how many texts were checked)."""
    found = page.evaluate(CONTRAST_JS)
    return [item for item in found if item["ratio"] < AA], len(found)


def small_targets(page) -> tuple[list[dict], int]:
    found = page.evaluate(TARGETS_JS)
    return [t for t in found if t["height"] < TARGET - 0.5 or t["width"] < TARGET - 0.5], len(found)
