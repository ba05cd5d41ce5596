"""End to end: the three calculators as a worker meets them, through the REST webhook."""

from __future__ import annotations

import uuid

import pytest

from actions.calculators import TRANSPORT
from policy_kb.navigation import MENU
from tests.e2e.test_rest_channel import ask, texts

pytestmark = pytest.mark.e2e


class Conversation:
    def __init__(self, stack):
        self.stack, self.sender = stack, "form-" + uuid.uuid4().hex

    def say(self, message: str) -> str:
        self.last = ask(self.stack, message, self.sender)
        return texts(self.last)

    def buttons(self) -> list[str]:
        return [b["title"] for r in self.last for b in r.get("buttons") or []]


def test_transport_all_at_once_asks_only_what_is_missing(chat):
    reply = chat.say("我是建档立卡户，去广东打工5个月了，火车票花了680，能补多少")
    assert "统一组织" in reply  # the next missing fact: organised or on one's own
    chat.say("自己出去的")
    result = chat.say("没领过")
    assert "可补500元" in result and "车票680元" in result and "省外" in result
    assert "0874-5120155" in result and "会政发〔2018〕20号第16条" in result and "身份证复印件" in result


def test_transport_step_by_step_with_a_correction_and_a_faq_in_the_middle(chat):
    assert "建档立卡" in chat.say("帮我算下交通补助")
    assert chat.buttons()[:2] == ["是", "不是"]
    assert "哪里" in chat.say("是的")
    assert "几个月" in chat.say("克宣威")
    assert "车票" in chat.say("干了4个月")
    mid = chat.say("12333是什么电话")
    assert "12333" in mid and "车票" in mid  # answered, then the question again
    assert "统一组织" in chat.say("两百五")
    # the correction is taken; 统一组织 only changes a note, so it is asked once and not again
    assert "领过" in chat.say("不对，是3个月")
    result = chat.say("没领过")
    assert "可补250元" in result and "3个月" not in result.split("可补")[0]
    assert "100元" in result and "0874-5120155" in result  # the 县/市 conflict, said once with the phone


def test_transport_not_eligible_explains_why(chat):
    chat.say("帮我算算车费补助")
    result = chat.say("不是")
    assert "建档立卡" in result and "不能" in result and "可补" not in result


def test_transport_bad_value_is_asked_again_never_computed(chat):
    chat.say("我是建档立卡户 去浙江干了半年 能报车费不")
    reply = chat.say("-300")
    assert "看着不对" in reply and "可补" not in reply


def test_leaving_a_form(chat, kb):
    first, second = (TRANSPORT.question(slot).text for slot in ("registered_poor", "tier"))
    chat.say("帮我算下交通补助")
    assert chat.last[-1]["text"] == first, chat.last
    chat.say("是的")
    assert chat.last[-1]["text"] == second, chat.last  # one fact given, the form went on
    assert chat.say("算了不问了") == kb.render("form_exit")
    # a fresh start: the greeting alone (in the form, a greeting is answered and then the question is
    # asked again), and a new calculation asks the first question again: the old answer is forgotten
    assert chat.say("你好") == kb.render("greet"), chat.last
    assert chat.buttons() == [kb.answers[key].title for key in MENU]
    chat.say("帮我算下交通补助")
    assert chat.last[-1]["text"] == first, chat.last


def test_organiser_subsidy_for_non_poor_workers_adds_both_items(chat):
    chat.say("我个人组织了25个非建档立卡的去浙江打工，帮我算以奖代补")
    result = chat.say("还有18个在干")
    assert "250元" in result and "900元" in result and "1150元" in result


def test_organiser_subsidy_for_poor_workers(chat):
    reply = chat.say("我是村委会的，组织了12个建档立卡户去上海，合同干满3个月了，能拿多少补贴")
    assert "3600元" in reply and "300元" in reply


def test_arbitration_deadline_from_a_date(chat):
    result = chat.say("老板9月1号开始欠我工资，最晚哪天要申请仲裁")
    assert "60天" in result and "1年" in result and "12333" in result
    assert "来不及" not in result


def test_arbitration_future_date_is_asked_again(chat):
    chat.say("帮我算仲裁期限")
    assert "还没到" in chat.say("2099年1月1日")
