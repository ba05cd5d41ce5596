"""Issue #14, item 6 end to end: a web worker asks for a person and leaves his number (real Rasa), a staff
member finds it on the handoff page at 1440×900 and replies from the transcript, and the reply appears
in the worker's open chat page (360×740) by its own polling: two browsers, one gateway, nothing faked."""

from __future__ import annotations

import pytest

from tests.gateway.browser import CHROMIUM, MISSING, chromium, serve

pytestmark = [pytest.mark.e2e, pytest.mark.skipif(not CHROMIUM, reason=MISSING)]

from playwright.sync_api import expect  # noqa: E402

from tests.gateway.admin.browsing import log_in, new_page  # noqa: E402
from tests.gateway.admin.conftest import create_user  # noqa: E402
from tests.gateway.browser import (  # noqa: E402
    PHONES,
    ask,
    bot_rows,
    new_phone,
    shoot,
    stack_app,
    wait_for_answer,
)

REPLY = "您好，我是县转移就业服务中心的阿梅，明天上午给您回电。"


@pytest.fixture(scope="module")
def site(stack, tmp_path_factory):
    app = stack_app(stack, tmp_path_factory.mktemp("staff-reply"), ADMIN_PASSWORD_METHOD="pbkdf2:sha256:1000")
    create_user(app)
    with serve(app, "staff-reply") as url:
        yield url


def test_a_staff_reply_from_the_console_reaches_the_workers_open_page(site):
    with chromium() as browser:
        phone = new_phone(browser, PHONES["360x740"]).new_page()
        phone.goto(site + "/")
        wait_for_answer(phone, 1)
        ask(phone, "我要找人工")
        form = phone.locator("form.callback")
        expect(form).to_be_visible()
        form.get_by_label("您的电话").fill("139 1234 5678")
        form.get_by_role("button", name="提交").click()
        expect(phone.get_by_text("收到您的电话了", exact=False)).to_be_visible()

        _, desk, problems = new_page(browser)
        log_in(desk, site)
        desk.goto(site + "/admin/handoffs")
        number = desk.locator('td.callbacks a[href="tel:13912345678"]')
        expect(number).to_have_text("13912345678")  # whole here, masked everywhere else
        number.locator("xpath=ancestor::tr").locator("td a").first.click()
        expect(desk.locator("#reply-window")).to_contain_text("10 秒内")
        desk.get_by_label("回复内容").fill(REPLY)
        desk.get_by_role("button", name="发送回复").click()
        expect(desk.locator(".flash, .flashes, [role=status]").first).to_contain_text("已发送")

        staff_row = bot_rows(phone).last
        expect(staff_row).to_contain_text(REPLY, timeout=20_000)  # the page's next poll, ≤ 10 s
        expect(staff_row.locator(".who")).to_have_text("工作人员")
        shoot(phone, "chat-staff-reply.png")
        assert not problems, problems  # no CSP violation or missing asset on the console
