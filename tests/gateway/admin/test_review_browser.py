"""Issue #14 in a real browser at the helpdesk's 1440×900: first questions, failure flags and the dashboard's
没答好的对话, searching workers' words, button titles and Chinese names, 👎, reviewing with the keyboard,
and the WCAG contrast of every visible text on the main pages. Screenshots: reports/screenshots/admin-review-*.png.
"""

from __future__ import annotations

import contextlib
import csv
import io

import pytest

from bot.gateway import transcripts
from tests.gateway.admin import failures
from tests.gateway.admin.conftest import PASSWORD, build_app, create_user
from tests.gateway.browser import CHROMIUM, MISSING, chromium, serve

if not CHROMIUM.exists():
    pytest.skip(MISSING, allow_module_level=True)

from playwright.sync_api import expect  # noqa: E402

from tests.gateway.admin.browsing import assert_contrast, log_in, new_page, shoot  # noqa: E402


@pytest.fixture(scope="module")
def console(tmp_path_factory):
    app = build_app(tmp_path_factory.mktemp("review"))
    with contextlib.closing(transcripts.connect(app.config["TRANSCRIPTS_DB"])) as db:
        seeded = failures.seed(db)
    create_user(app, "amei", PASSWORD)
    with serve(app, "review") as url:
        yield url, seeded, app


@pytest.fixture(scope="module")
def browser():
    with chromium() as launched:
        yield launched


@pytest.fixture
def page(console, browser):
    context, page, problems = new_page(browser)
    log_in(page, console[0])
    yield page
    context.close()
    assert problems == []


def row(page, seeded, name: str):
    return page.locator(f'tr[data-conversation="{seeded.conversations[name]}"]')


def reviewed(app, conversation_id: int) -> bool:
    with contextlib.closing(transcripts.connect(app.config["TRANSCRIPTS_DB"])) as db:
        found = db.execute("SELECT 1 FROM admin_reviews WHERE conversation_id = ?", [conversation_id])
        return found.fetchone() is not None


def test_the_inbox_says_what_people_asked(console, page):
    _, seeded, _ = console
    expect(page.locator("table.inbox thead")).to_contain_text("第一个问题")
    for name, question in failures.FIRST_QUESTIONS.items():
        expect(row(page, seeded, name).locator("td.preview")).to_have_text(question)
    shoot(page, "review-first-questions")


def test_failed_conversations_stand_out(console, page):
    base, seeded, _ = console
    for name in failures.CONVERSATIONS:
        expect(row(page, seeded, name).locator("td.badges .badge")).to_have_text(
            failures.BADGES.get(name, [])
        )
    shoot(page, "review-flags-inbox")
    row(page, seeded, "stuck").locator("td.preview a").click()
    expect(page.locator(".badge.same_reply")).to_have_text(
        ["同一回复第3次", "同一回复第4次", "同一回复第5次"]
    )
    expect(page.locator(".badge.reasked")).to_have_count(2)
    shoot(page, "review-flags-transcript", full_page=True)
    page.get_by_role("link", name="统计").click()
    expect(page.locator("#stat-unanswered")).to_have_text("4")
    expect(page.locator("#stat-unanswered-rate")).to_have_text("40%")
    expect(page.locator("#stat-fallback")).to_have_text("0%")
    expect(page.locator('svg[aria-label="没答好率、兜底率和转人工率"]')).to_contain_text("没答好率")
    shoot(page, "review-dashboard", full_page=True)


def test_search_is_over_the_workers_words(console, page):
    _, seeded, _ = console
    page.get_by_label("搜索消息").fill("仲裁")
    page.get_by_role("button", name="筛选").click()
    expect(page.locator("#total")).to_have_text("1")
    expect(row(page, seeded, "hello_question").locator("mark")).to_have_text("仲裁")
    page.get_by_label("也搜机器人回复").check()
    page.get_by_role("button", name="筛选").click()
    expect(page.locator("#total")).to_have_text("5")
    expect(row(page, seeded, "greeted").locator("td.preview")).to_have_text("机器人：" + failures.GREETING)
    expect(page.get_by_label("也搜机器人回复")).to_be_checked()
    shoot(page, "review-search")


def test_codes_are_shown_as_words(console, page, tmp_path):
    base, seeded, _ = console
    expect(row(page, seeded, "hello_wechat").locator("td.channel")).to_have_text("微信")
    expect(page.get_by_label("意图 / FAQ").locator('option[value="faq/unpaid_wages"]')).to_have_text(
        "拖欠工资（2）"
    )
    page.goto(f"{base}/admin/conversations/{seeded.conversations['buttons']}")
    expect(page.locator(".row.user .bubble")).to_have_text(
        ["你好", "拖欠工资", "帮我算最晚哪天申请", "不算了", "交通补助"]
    )
    expect(page.locator(".row.user .payload code")).to_have_text(
        [
            '/faq{"topic":"unpaid_wages"}',
            "/check_arbitration_deadline",
            "/stop",
            '/faq{"topic":"transport_subsidy"}',
        ]
    )
    expect(page.locator(".row.user .intent").nth(1)).to_have_text("拖欠工资")
    expect(page.locator(".row.user .intent").nth(1)).to_have_attribute("title", "意图：faq/unpaid_wages")
    shoot(page, "review-buttons", full_page=True)
    page.get_by_role("link", name="← 回到列表").click()
    with page.expect_download() as download_info:
        page.get_by_role("link", name="导出对话 CSV").click()
    saved = tmp_path / "transcripts.csv"
    download_info.value.save_as(saved)
    header = next(csv.reader(io.StringIO(saved.read_bytes().decode("utf-8-sig"))))
    assert header[:8] == ["会话", "渠道", "发送者", "消息", "时间", "谁说的", "内容", "按钮代码"]


def test_the_thumbs_down_filter(console, page):
    _, seeded, _ = console
    page.locator('.chip[data-filter="down"]').click()
    expect(page.locator("#total")).to_have_text("1")
    expect(page.locator("table.inbox tbody tr")).to_have_attribute(
        "data-conversation", str(seeded.conversations["sure_but_wrong"])
    )
    expect(page.get_by_label("差评（工人点了不满意）")).to_be_checked()
    shoot(page, "review-thumbs-down")


@pytest.mark.parametrize("where", ["inbox", "transcript", "dashboard", "handoffs"])
def test_every_text_has_enough_contrast(console, page, where):
    base, seeded, _ = console
    if where == "inbox":  # with a highlighted hit, a pressed chip and the flags
        page.goto(f"{base}/admin/?q=补贴&fallback=&reviewed=no")
    elif where == "transcript":  # with a flash, the marks and the panel
        page.goto(f"{base}/admin/conversations/{seeded.conversations['sure_but_wrong']}")
        page.get_by_role("button", name="标记为已看").click()
        expect(page.locator(".flash")).to_be_visible()
    else:
        page.goto(f"{base}/admin/{where}")
    assert_contrast(page)


def test_review_one_after_another_with_the_keyboard(console, page):
    base, seeded, app = console
    page.locator('.chip[data-filter="unreviewed"]').click()
    first = page.locator("table.inbox tbody tr").first
    conversation = int(first.get_attribute("data-conversation"))
    first.locator("td.preview a").click()
    expect(page.locator(".shortcuts")).to_have_text("快捷键：r 标记为已看 · n 下一个没看的")
    after = page.locator("#next-unreviewed").get_attribute("href")
    assert after.startswith("/admin/conversations/") and after.endswith("?reviewed=no")
    # typing a note is not a shortcut
    note = page.get_by_label("新备注")
    note.press_sequentially("rn")
    expect(note).to_have_value("rn")
    assert not reviewed(app, conversation)
    note.fill("")
    page.locator("h1").click()
    page.keyboard.press("r")
    expect(page.locator("#review-status")).to_contain_text("已看：amei")
    assert reviewed(app, conversation)
    shoot(page, "review-next")
    page.keyboard.press("n")
    expect(page).to_have_url(base + after)
    assert not reviewed(app, int(after.split("/")[-1].split("?")[0]))
