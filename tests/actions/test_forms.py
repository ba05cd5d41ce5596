"""Form actions against tracker fixtures: extraction in any order, corrections, bad values, re-asks."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest
from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import forms
from bot.tools import build
from policy_kb.understanding import parse_place

DOMAIN = build.calculator_domain()
SLOTS = {name: None for name in DOMAIN["slots"]} | {"requested_slot": None}


@pytest.fixture(autouse=True)
def fixed_today(monkeypatch):
    monkeypatch.setattr(forms, "today", lambda: dt.date(2026, 11, 28))


def tracker(text: str, intent: str = "inform", **slots) -> Tracker:
    return Tracker.from_dict(
        {
            "sender_id": "t",
            "slots": {**SLOTS, **slots},
            "events": [],
            "paused": False,
            "followup_action": None,
            "active_loop": {"name": "transport_form"},
            "latest_action_name": "action_listen",
            "latest_message": {"text": text, "intent": {"name": intent, "confidence": 0.9}, "entities": []},
        }
    )


def run(action, t: Tracker):
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, t, DOMAIN))
    return {e["name"]: e["value"] for e in events if e["event"] == "slot"}, dispatcher.messages


def test_first_message_fills_every_slot_it_answers():
    slots, _ = run(
        forms.ValidateTransportForm(),
        tracker("我是建档立卡户，去广东打工5个月了，火车票花了680，能补多少", "check_transport_subsidy"),
    )
    assert slots["registered_poor"] is True and slots["tier"] == "out_of_province"
    assert slots["months"] == 5 and slots["ticket"] == 680
    assert slots["requested_slot"] == "organised"  # only what is missing is asked


def test_a_correction_overwrites():
    slots, _ = run(
        forms.ValidateTransportForm(), tracker("不对，是4个月", months=5.0, requested_slot="ticket")
    )
    assert slots["months"] == 4


def test_not_registered_poor_stops_the_questions():
    slots, _ = run(forms.ValidateTransportForm(), tracker("不是", "deny", requested_slot="registered_poor"))
    assert slots["registered_poor"] is False and slots["requested_slot"] is None


@pytest.mark.parametrize("text", ["-100", "负五百", "100000块", "车票9999999元"])
def test_an_impossible_ticket_is_asked_again_and_never_computed(text):
    slots, messages = run(forms.ValidateTransportForm(), tracker(text, requested_slot="ticket"))
    assert "ticket" not in slots
    assert slots["form_misses"] == 1 and slots["requested_slot"] == "registered_poor"
    assert "看着不对" in messages[0]["text"]


def test_three_hundred_months_is_rejected():
    slots, messages = run(forms.ValidateTransportForm(), tracker("干了300个月", requested_slot="months"))
    assert "months" not in slots and "看着不对" in messages[0]["text"]


@pytest.mark.parametrize("text, workers", [("0", 0), ("十万人", 100000)])
def test_impossible_worker_counts(text, workers):
    slots, messages = run(forms.ValidateOrganiserForm(), tracker(text, requested_slot="workers"))
    assert "workers" not in slots and "看着不对" in messages[0]["text"]


def test_a_future_dispute_date_is_rejected():
    slots, messages = run(
        forms.ValidateArbitrationForm(), tracker("2026年12月25号", requested_slot="dispute_date")
    )
    assert "dispute_date" not in slots and "还没到" in messages[0]["text"]


def test_a_faq_question_mid_form_is_let_through():
    slots, messages = run(
        forms.ValidateTransportForm(), tracker("12333是什么电话", "faq", requested_slot="ticket")
    )
    # no slot but requested_slot: Rasa then rejects the form action and the FAQ rule answers
    assert set(slots) == {"requested_slot"} and messages == []


def test_an_unusable_answer_counts_a_miss():
    slots, _ = run(
        forms.ValidateTransportForm(), tracker("嗯嗯那个啥", "inform", requested_slot="ticket", form_misses=1)
    )
    assert slots["form_misses"] == 2


def test_after_an_unusable_answer_an_example_and_after_two_the_offer_to_stop():
    ask = next(a for a in forms.ASK_ACTIONS if a().name() == "action_ask_transport_form_ticket")()
    plain, example, offer = CollectingDispatcher(), CollectingDispatcher(), CollectingDispatcher()
    ask.run(plain, tracker("", form_misses=0), DOMAIN)
    ask.run(example, tracker("嗯嗯", "inform", form_misses=1), DOMAIN)
    ask.run(offer, tracker("嗯嗯", "inform", form_misses=2), DOMAIN)
    ticket = forms.BY_NAME["transport"].question("ticket")
    assert plain.messages[0]["text"] == ticket.text
    said = example.messages[0]["text"]  # the example instead of the question
    assert ticket.example in said and ticket.text not in said and "680" in ticket.example
    assert {"title": "不算了", "payload": "/stop"} in plain.messages[0]["buttons"]
    assert offer.messages[0]["text"] == "还要接着算交通补助吗？"
    assert [b["title"] for b in offer.messages[0]["buttons"]] == ["接着算", "不算了"]


def test_after_a_faq_the_question_is_repeated_as_it_was():
    ask = next(a for a in forms.ASK_ACTIONS if a().name() == "action_ask_transport_form_ticket")()
    again = CollectingDispatcher()
    ask.run(again, tracker("12333是什么电话", "faq", form_misses=1), DOMAIN)
    assert again.messages[0]["text"] == forms.BY_NAME["transport"].question("ticket").text  # not the example


def test_a_request_for_another_calculator_switches():
    slots, _ = run(
        forms.ValidateArbitrationForm(),
        tracker("我想算一下车票补助", "check_transport_subsidy", requested_slot="dispute_date"),
    )
    assert slots["calc_switch"] == "transport" and slots["requested_slot"] is None


def test_a_third_message_that_fills_nothing_leaves_the_form():
    slots, _ = run(
        forms.ValidateTransportForm(), tracker("嗯嗯那个啥", "inform", requested_slot="ticket", form_misses=2)
    )
    assert slots["calc_leave"] is True and slots["requested_slot"] is None


def test_continue_after_the_offer_resets_the_misses():
    slots, _ = run(
        forms.ValidateTransportForm(),
        tracker("接着算", "continue_calc", requested_slot="ticket", form_misses=2),
    )
    assert slots["form_misses"] == 0 and slots["requested_slot"] == "registered_poor"


def test_organiser_non_poor_asks_for_the_stable_count_only_when_it_matters():
    slots, _ = run(
        forms.ValidateOrganiserForm(),
        tracker("我个人组织了25个非建档立卡的去浙江", "check_organiser_subsidy"),
    )
    assert (
        slots["workers"] == 25 and slots["workers_poor"] is False and slots["organiser_type"] == "individual"
    )
    assert slots["requested_slot"] == "stable"
    small, _ = run(
        forms.ValidateOrganiserForm(),
        tracker("我个人组织了12个非建档立卡的去浙江", "check_organiser_subsidy"),
    )
    assert small["requested_slot"] is None  # below 20 people: no reward to compute, the answer is ready


def test_result_renders_the_verdict_and_clears_the_slots(kb):
    dispatcher = CollectingDispatcher()
    t = tracker(
        "",
        registered_poor=True,
        tier="out_of_province",
        destination="广东省",
        months=5.0,
        ticket=680.0,
        organised=False,
        claimed_this_year=False,
    )
    events = forms.ActionTransportResult().run(dispatcher, t, DOMAIN)
    first, second = (m["text"] for m in dispatcher.messages)
    assert "可补500元" in first and "车票680元" in first and "来源：" in first  # the verdict first
    assert kb.contacts["center"].phone in second and "身份证复印件" in second  # then what to bring, where
    assert SlotSet("ticket", None) in events and SlotSet("requested_slot", None) in events
    kept = next(e["value"] for e in events if e.get("name") == "last_case")
    assert kept["calc"] == "transport" and kept["slots"]["ticket"] == 680.0  # kept for corrections


def test_the_place_understood_is_said_back():
    slots, messages = run(forms.ValidateTransportForm(), tracker("克宣威", requested_slot="tier"))
    assert slots["tier"] == "in_province_out_of_county" and slots["in_qujing"] is True
    assert messages[0]["text"] == "记下了：宣威市（曲靖市），按云南省内、会泽县外算。"


def test_an_ambiguous_place_gets_a_question():
    """省内 may be in Huize county or out of it (100 or 300 元): ask which, and keep asking for the place."""
    slots, messages = run(
        forms.ValidateTransportForm(), tracker("省内", requested_slot="tier", registered_poor=True)
    )
    assert "tier" not in slots and slots["form_misses"] == 1
    assert slots["requested_slot"] == "tier"  # the place is still the next fact to ask for
    place = parse_place("省内")  # policy_kb's reading: which of the two it asks between
    assert place.is_ambiguous and "会泽县里" in place.question and "云南省内" in place.question
    assert [m["text"] for m in messages] == [place.question]


def test_who_organised_is_not_taken_for_where():
    slots, _ = run(
        forms.ValidateTransportForm(),
        tracker(
            "县里统一组织的",
            tier="in_province_out_of_county",
            destination="宣威市（曲靖市）",
            requested_slot="organised",
        ),
    )
    assert slots["organised"] is True and "tier" not in slots


# --- the words around a number (#12) ----------------------------------------------------------------


def test_about_three_months_is_asked_not_taken():
    slots, messages = run(forms.ValidateTransportForm(), tracker("快三个月了", requested_slot="months"))
    assert "months" not in slots
    assert "干满3个月" in messages[0]["text"] and "还差几天" in messages[0]["text"]


def test_full_after_the_question_is_the_threshold():
    slots, _ = run(
        forms.ValidateTransportForm(), tracker("满了", requested_slot="months", registered_poor=True)
    )
    assert slots["months"] == 3 and slots.get("months_bound") is None


def test_days_short_after_the_question():
    slots, _ = run(forms.ValidateTransportForm(), tracker("还差5天", requested_slot="months"))
    assert slots["months"] == 2.83


def test_under_three_months_is_not_eligible():
    slots, _ = run(
        forms.ValidateTransportForm(),
        tracker("建档立卡户 去浙江 不到三个月", "check_transport_subsidy", requested_slot="registered_poor"),
    )
    assert slots["months"] == 3 and slots["months_bound"] == "below"
    assert slots["requested_slot"] is None  # settled: not yet 3 months, nothing more to ask
    from actions.calculators import TRANSPORT

    result = TRANSPORT.calculate({**SLOTS, **slots}, dt.date(2026, 11, 28))
    assert result.verdict == "not_eligible" and "还没满3个月" in result.render()


def test_an_impossible_date_is_said_back_and_asked_again():
    t = Tracker.from_dict(
        {
            **tracker("今年2月29号被辞退的", requested_slot="dispute_date").current_state(),
            "active_loop": {"name": "arbitration_form"},
        }
    )
    slots, messages = run(forms.ValidateArbitrationForm(), t)
    assert "dispute_date" not in slots
    assert "2026年2月没有29号" in messages[0]["text"]


@pytest.mark.parametrize("text", ["0", "车票0元", "0块"])
def test_a_free_ticket_is_asked_again(text):
    slots, messages = run(forms.ValidateTransportForm(), tracker(text, requested_slot="ticket"))
    assert "ticket" not in slots and "看着不对" in messages[0]["text"]


def test_claimed_this_year_unknown_is_asked():
    slots, _ = run(
        forms.ValidateTransportForm(),
        tracker(
            "我是建档立卡户，去广东打工5个月了，火车票680，自己去的",
            "check_transport_subsidy",
            calc_asked=["organised"],
        ),
    )
    assert slots["requested_slot"] == "claimed_this_year"
