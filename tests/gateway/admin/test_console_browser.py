"""The console in a real browser (Debian's Chromium through Playwright) against the app under waitress.

A staff member made with the CLI logs in, filters low confidence of the last week, opens a transcript,
marks it reviewed, corrects a turn, exports the correction (read back with Rasa's reader), and opens the
handoff queue and the dashboard. Screenshots go to reports/screenshots/admin-*.png.
"""

from __future__ import annotations

import contextlib

import pytest

from bot.gateway import transcripts
from tests.gateway.admin import seeding
from tests.gateway.admin.conftest import PASSWORD, build_app, create_user
from tests.gateway.browser import CHROMIUM, MISSING, chromium, serve

if not CHROMIUM.exists():
    pytest.skip(MISSING, allow_module_level=True)

from playwright.sync_api import expect  # noqa: E402

from tests.gateway.admin.browsing import assert_contrast, log_in, new_page, shoot  # noqa: E402


@pytest.fixture(scope="module")
def console(tmp_path_factory):
    """The gateway with the console under waitress on a free port, on a seeded temporary DB."""
    folder = tmp_path_factory.mktemp("console")
    app = build_app(folder)
    with contextlib.closing(transcripts.connect(app.config["TRANSCRIPTS_DB"])) as db:
        seeded = seeding.seed(db)
    create_user(app, "amei", PASSWORD)
    with serve(app, "console") as url:
        yield url, seeded, app


@pytest.fixture(scope="module")
def browser():
    with chromium() as launched:
        yield launched


def test_review_correct_export_and_dashboard(console, browser, tmp_path):
    base, seeded, _ = console
    context, page, problems = new_page(browser, 1280, 800)

    # the login page, with a wrong password first
    page.goto(base + "/admin/login")
    page.get_by_label("用户名").fill("amei")
    page.get_by_label("密码").fill("not the password")
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("alert")).to_have_text("用户名或密码不对。")
    shoot(page, "login")
    page.wait_for_timeout(600)  # the login delay after one failure is 0.5 s
    log_in(page, base)
    expect(page.locator("#total")).to_have_text("8")
    expect(page.locator("table.inbox tbody tr")).to_have_count(8)

    # low confidence of the last week
    page.get_by_role("link", name="最近7天").click()
    expect(page.locator("#total")).to_have_text("7")
    page.get_by_label("置信度低于").check()
    page.get_by_role("button", name="筛选").click()
    expect(page.locator("#total")).to_have_text("3")
    rows = page.locator("table.inbox tbody tr")
    expect(rows).to_have_count(3)
    expected = sorted(seeded.ids(seeding.LOW_LAST_WEEK), reverse=True)
    assert [int(rows.nth(i).get_attribute("data-conversation")) for i in range(3)] == expected
    expect(page.locator('.chip[data-filter="low"]')).to_have_class("chip on")
    expect(page.locator("table.inbox")).to_contain_text("车票钱能报吗")
    assert_contrast(page)  # with the fallback badges and low confidences
    shoot(page, "inbox")

    # open the transcript, mark it reviewed
    page.get_by_role("link", name="车票钱能报吗").click()
    conversation = seeded.conversations["low_recent"]
    message = seeded.user_messages["low_recent"][0]
    expect(page.get_by_role("heading", name=f"会话 {conversation}")).to_be_visible()
    turn = page.locator(f"#m{message}")
    expect(turn.locator(".bubble")).to_have_text("车票钱能报吗")
    expect(turn.locator(".intent")).to_have_text("交通补助")
    expect(turn.locator(".conf")).to_have_text("0.55")
    expect(turn.locator(".conf")).to_have_class("conf low")
    page.get_by_role("button", name="标记为已看").click()
    expect(page.locator("#review-status")).to_contain_text("已看：amei")

    # correct the turn: it was the transport-subsidy calculator, not the FAQ
    turn = page.locator(f"#m{message}")
    turn.locator("summary", has_text="更正意图").click()
    turn.get_by_label("正确的意图").select_option("check_transport_subsidy")
    turn.get_by_role("button", name="保存更正").click()
    expect(page.locator(f"#m{message} .corrected-intent")).to_have_text("算交通补助")
    expect(page.locator(".flash")).to_have_text("已更正为 算交通补助。")
    page.get_by_placeholder("如：方言、新问题").fill("计算器")
    page.get_by_role("button", name="加标签").click()
    expect(page.locator(".tags .tag")).to_contain_text(["计算器"])
    assert_contrast(page)
    shoot(page, "transcript", full_page=True)

    # back in the inbox the filters are kept and the conversation shows as reviewed
    page.get_by_role("link", name="← 回到列表").click()
    expect(page.locator("#total")).to_have_text("3")
    expect(page.locator(f'tr[data-conversation="{conversation}"]')).to_have_class("reviewed")
    assert_contrast(page)  # a reviewed row, greyed, with its 已看 and 更正 badges

    # export the correction as training data and read it with Rasa
    page.get_by_role("link", name="更正与导出", exact=True).click()
    expect(page.locator("#corrections-count")).to_have_text("1")
    with page.expect_download() as download_info:
        page.locator("#export-nlu").click()
    download = download_info.value
    assert download.suggested_filename.startswith("corrections-") and download.suggested_filename.endswith(
        ".yml"
    )
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    from rasa.shared.nlu.training_data.loading import load_data

    data = load_data(str(saved))
    assert [(m.get("text"), m.get("intent")) for m in data.intent_examples] == [
        ("车票钱能报吗", "check_transport_subsidy")
    ]
    shoot(page, "corrections")

    # the handoff queue: 转人工 and two fallbacks in a row
    page.get_by_role("link", name="转人工队列").click()
    expect(page.locator("#waiting-count")).to_have_text("2")
    expect(page.locator("table.queue tbody tr")).to_have_count(2)
    assert_contrast(page)
    shoot(page, "handoffs")

    # the dashboard with its inline SVG charts
    page.get_by_role("link", name="统计").click()
    expect(page.locator("svg.chart")).to_have_count(5)
    expect(page.locator("#stat-messages")).to_have_text("11")
    box = page.locator("svg.chart").first.bounding_box()
    assert box["width"] > 600 and box["height"] > 150  # drawn, and scaled to the card
    assert_contrast(page)
    shoot(page, "dashboard", full_page=True)

    # log out: the console is closed again
    page.get_by_role("button", name="退出").click()
    expect(page.get_by_role("heading", name="客服登录")).to_be_visible()
    page.goto(base + "/admin/dashboard")
    expect(page).to_have_url(base + "/admin/login?next=/admin/dashboard")
    context.close()
    assert problems == []


def test_transcript_on_a_phone(console, browser):
    base, seeded, _ = console
    context, page, problems = new_page(browser, 390, 844)
    log_in(page, base)
    conversation = seeded.conversations["two_fallbacks"]
    page.goto(f"{base}/admin/conversations/{conversation}")
    bubbles = page.locator(".row.user .bubble")
    expect(bubbles).to_have_text(["那个东西咋个弄", "就是那个钱嘛"])
    shoot(page, "transcript-phone", full_page=True)
    # bubbles fit the screen: nothing scrolls sideways
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
    user, bot = bubbles.first.bounding_box(), page.locator(".row.bot .bubble").first.bounding_box()
    assert user["x"] + user["width"] > 300 and bot["x"] < 60  # worker on the right, bot on the left
    context.close()
    assert problems == []
