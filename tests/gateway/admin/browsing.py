"""What the console's browser tests share: a page that records script and CSP errors, screenshots, the
login, and the WCAG contrast check."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.gateway.admin.conftest import PASSWORD
from tests.gateway.browser import SCREENSHOTS

expect.set_options(timeout=15_000)

WIDE = {"width": 1440, "height": 900}  # the helpdesk's screens
MIN_CONTRAST = 4.5  # WCAG AA for body text

# For every visible element with text of its own (and every form control): its colour (an SVG text's
# fill) against the effective background, the element's and its ancestors' backgrounds composited until
# one is opaque, over white. The ratio is WCAG's (L1 + 0.05) / (L2 + 0.05) of relative luminances.
CONTRAST = """() => {
  const rgba = (value) => {
    const parts = (value.match(/[\\d.]+/g) || []).map(Number);
    return parts.length < 3 ? [0, 0, 0, 0] : [parts[0], parts[1], parts[2], parts.length > 3 ? parts[3] : 1];
  };
  const over = (top, bottom) => {
    const a = top[3];
    return [0, 1, 2].map((i) => top[i] * a + bottom[i] * (1 - a)).concat([1]);
  };
  const luminance = (c) => {
    const [r, g, b] = c.slice(0, 3).map((v) => {
      v /= 255;
      return v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const background = (element) => {
    const layers = [];
    for (let node = element; node && node.nodeType === 1; node = node.parentElement) {
      const layer = rgba(getComputedStyle(node).backgroundColor);
      if (layer[3] > 0) layers.push(layer);
      if (layer[3] >= 1) break;
    }
    return layers.reverse().reduce((below, layer) => over(layer, below), [255, 255, 255, 1]);
  };
  const controls = "input:not([type=hidden]):not([type=checkbox]):not([type=radio]), select, textarea, button";
  const found = [];
  for (const element of document.body.querySelectorAll("*")) {
    if (element.closest("title, option, script, style")) continue;
    const own = [...element.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
    if (!own && !element.matches(controls)) continue;
    const style = getComputedStyle(element);
    if (style.visibility !== "visible" || element.getClientRects().length === 0) continue;
    const back = background(element);
    const colour = over(rgba(element instanceof SVGElement ? style.fill : style.color), back);
    const [a, b] = [luminance(colour), luminance(back)].sort((x, y) => y - x);
    const ratio = (a + 0.05) / (b + 0.05);
    found.push({
      text: (element.innerText || element.textContent || element.value || "").trim().slice(0, 30),
      tag: element.tagName.toLowerCase(),
      css: String(element.className.baseVal ?? element.className),
      colour: colour.slice(0, 3).map(Math.round).join(","),
      background: back.slice(0, 3).map(Math.round).join(","),
      ratio: Math.round(ratio * 100) / 100,
    });
  }
  return found;
}"""


def new_page(browser, width: int = WIDE["width"], height: int = WIDE["height"]):
    context = browser.new_context(
        viewport={"width": width, "height": height},
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
        accept_downloads=True,
    )
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    # a CSP violation (an inline style or script that slipped in) or a missing asset is a console error;
    # the 401 of the deliberately wrong password is the only error status expected
    page.on(
        "console",
        lambda message: message.type == "error"
        and "status of 401" not in message.text
        and problems.append(message.text),
    )
    return context, page, problems


def shoot(page, name: str, full_page: bool = False) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"admin-{name}.png"), full_page=full_page)


def log_in(page, base: str, name: str = "amei") -> None:
    page.goto(base + "/admin/")
    expect(page).to_have_url(base + "/admin/login?next=/admin/")
    expect(page.get_by_role("heading", name="客服登录")).to_be_visible()
    page.get_by_label("用户名").fill(name)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page).to_have_url(base + "/admin/")


def assert_contrast(page) -> None:
    """Every visible text of the page has WCAG AA contrast; the message lists those that have not."""
    checked = page.evaluate(CONTRAST)
    assert len(checked) > 20, "the check found almost no text: is the page there?"
    too_low = [item for item in checked if item["ratio"] < MIN_CONTRAST]
    assert too_low == [], "\n".join(map(str, too_low))
