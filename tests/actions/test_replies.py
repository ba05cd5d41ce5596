"""Actions against tracker fixtures: what they send, with facts read from policy_kb."""

from __future__ import annotations

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions import topics
from actions.replies import ActionAnswerFaq, ActionBadInput, ActionReply, ActionSuggestTopics
from tests.actions.conftest import make_tracker, selector
from tests.actions.test_dialogue import TRANSPORT_CASE, kept


def run(action, tracker, dispatcher):
    events = action.run(dispatcher, tracker, {})
    return events, dispatcher.messages


def test_faq_answer_comes_from_the_selector(kb, dispatcher):
    tracker = make_tracker(
        {"intent": {"name": "faq", "confidence": 0.95}, "response_selector": selector("unpaid_wages")}
    )
    events, messages = run(ActionAnswerFaq(), tracker, dispatcher)
    # remembered, so that a "yes" or the facts of a case next start its calculator
    assert events == [{"event": "slot", "name": "last_topic", "timestamp": None, "value": "unpaid_wages"}]
    assert messages[0]["text"] == kb.render("unpaid_wages")
    assert kb.contacts["inspection"].phone in messages[0]["text"]


def test_topic_button_wins_over_the_selector(kb, dispatcher):
    tracker = make_tracker(
        {
            "intent": {"name": "faq", "confidence": 1.0},
            "entities": [{"entity": "topic", "value": "yulu_plan"}],
            "response_selector": selector("job_scam"),
        }
    )
    _, messages = run(ActionAnswerFaq(), tracker, dispatcher)
    assert messages[0]["text"] == kb.render("yulu_plan")  # the tapped topic, not the selector's job_scam


def test_own_case_intent_gets_its_rule(kb, dispatcher):
    tracker = make_tracker({"intent": {"name": "check_transport_subsidy", "confidence": 0.9}})
    _, messages = run(ActionAnswerFaq(), tracker, dispatcher)
    assert messages[0]["text"] == kb.render("transport_subsidy")


def test_greeting_has_the_menu(kb, dispatcher):
    tracker = make_tracker({"intent": {"name": "greet", "confidence": 0.99}})
    _, messages = run(ActionReply(), tracker, dispatcher)
    titles = [b["title"] for b in messages[0]["buttons"]]
    assert kb.answers["unpaid_wages"].title in titles and len(titles) == 6
    assert messages[0]["buttons"][0]["payload"] == '/faq{"topic":"unpaid_wages"}'


def test_handoff_gives_the_phones(kb, dispatcher):
    tracker = make_tracker({"intent": {"name": "human_handoff", "confidence": 0.99}})
    _, messages = run(ActionReply(), tracker, dispatcher)
    assert messages[0]["text"] == kb.render("human_handoff")  # not just any reply with the phones
    assert kb.contacts["center"].phone in messages[0]["text"]


def test_fallback_offers_the_closest_topics_and_no_answer(kb, dispatcher):
    tracker = make_tracker(
        {
            "intent": {"name": "nlu_fallback", "confidence": 0.45},
            "intent_ranking": [
                {"name": "nlu_fallback", "confidence": 0.45},
                {"name": "faq", "confidence": 0.40},
                {"name": "check_arbitration_deadline", "confidence": 0.35},
            ],
            "response_selector": selector("unpaid_wages", ("rights_routes", 0.05)),
        }
    )
    _, messages = run(ActionSuggestTopics(), tracker, dispatcher)
    payloads = [b["payload"] for b in messages[0]["buttons"]]
    assert payloads == [
        '/faq{"topic":"unpaid_wages"}',
        '/faq{"topic":"arbitration_deadline"}',
        '/faq{"topic":"rights_routes"}',
    ]
    assert messages[0]["text"] == kb.render("fallback")
    assert kb.contacts["center"].phone in messages[0]["text"]


def test_too_long_and_empty_input(kb, dispatcher):
    long = make_tracker(
        {"intent": {"name": "bad_input"}, "entities": [{"entity": "problem", "value": "too_long"}]}
    )
    empty = make_tracker(
        {"intent": {"name": "bad_input"}, "entities": [{"entity": "problem", "value": "empty"}]}
    )
    run(ActionBadInput(), long, dispatcher)
    run(ActionBadInput(), empty, dispatcher)
    assert [m["text"] for m in dispatcher.messages] == [kb.render("too_long"), kb.render("bad_input")]


def test_an_overview_has_a_button_into_each_measure(kb, dispatcher):
    tracker = make_tracker(
        {
            "text": "贫困户总共有哪些补贴",
            "intent": {"name": "faq", "confidence": 0.9},
            "response_selector": selector("overview_worker"),
        }
    )
    _, messages = run(ActionAnswerFaq(), tracker, dispatcher)
    assert messages[0]["text"] == kb.render("overview_worker")
    titles = [b["title"] for b in messages[-1]["buttons"]]
    assert kb.answers["transport_subsidy"].title in titles and kb.answers["yulu_plan"].title in titles


def test_another_regions_policy_gets_no_huize_amount(kb, dispatcher):
    tracker = make_tracker(
        {
            "text": "大理那边的交通补助是好多",
            "intent": {"name": "faq", "confidence": 0.9},
            "response_selector": selector("transport_subsidy"),
        }
    )
    _, messages = run(ActionAnswerFaq(), tracker, dispatcher)
    assert "我只知道会泽县的政策" in messages[0]["text"] and "500元" not in messages[0]["text"]


def test_a_question_taken_for_a_greeting_gets_the_closest_topics(kb, dispatcher):
    tracker = make_tracker(
        {"text": "官司太难打了 哪点有人帮我", "intent": {"name": "greet", "confidence": 0.8}}
    )
    _, messages = run(ActionReply(), tracker, dispatcher)
    assert messages[0]["text"] == kb.render("fallback")  # "did you mean", with the phones, never the greeting


def test_a_question_gets_the_details_as_a_second_bubble_a_tap_gets_the_button(kb, dispatcher):
    asked = make_tracker(
        {
            "text": "合作社招了贫困户 用工补贴要交哪些材料",
            "intent": {"name": "faq", "confidence": 0.9},
            "response_selector": selector("employer_subsidy"),
        }
    )
    _, messages = run(ActionAnswerFaq(), asked, dispatcher)
    assert [m["text"] for m in messages] == [
        kb.render("employer_subsidy"),
        kb.fill(kb.answers["employer_subsidy"].details).strip(),
    ]
    assert "看详细" not in [b["title"] for b in messages[-1]["buttons"]]
    tapped = make_tracker(
        {
            "text": '/faq{"topic":"employer_subsidy"}',
            "intent": {"name": "faq", "confidence": 1.0},
            "entities": [{"entity": "topic", "value": "employer_subsidy"}],
        }
    )
    dispatcher2 = CollectingDispatcher()
    _, messages = run(ActionAnswerFaq(), tapped, dispatcher2)
    assert len(messages) == 1 and messages[0]["buttons"][0]["title"] == "看详细"


def test_a_rule_question_the_model_was_unsure_of_still_gets_its_rule(kb, dispatcher):
    tracker = make_tracker(
        {
            "text": "过年回家那趟车票 能不能一起报",
            "intent": {"name": "nlu_fallback", "confidence": 0.4},
            "response_selector": selector("transport_subsidy"),
        }
    )
    _, messages = run(ActionSuggestTopics(), tracker, dispatcher)
    assert messages[0]["text"].startswith(kb.render("transport_return_ticket").splitlines()[0])
    assert messages[0]["text"] != kb.render("fallback")


def test_a_correction_taken_for_a_handoff_recomputes_the_kept_case(kb, dispatcher):
    tracker = make_tracker(
        {
            "text": "不对 我刚打电话问了村委会 车票是三百二",
            "intent": {"name": "human_handoff", "confidence": 0.8},
        },
        slots={"last_case": kept(**TRANSPORT_CASE)},
    )
    _, messages = run(ActionReply(), tracker, dispatcher)
    said = "\n".join(m.get("text") or "" for m in messages)
    assert "可补320元" in said and kb.render("human_handoff") not in said


def test_an_unsure_answer_offers_the_runners_up(kb, dispatcher):
    tracker = make_tracker(
        {
            "text": "有人讲那个期限过了就没得用了 真的假的",
            "intent": {"name": "faq", "confidence": 0.99},
            "response_selector": selector(
                "skill_upgrade_subsidy", ("arbitration_deadline", 0.22), confidence=0.26
            ),
        }
    )
    _, messages = run(ActionAnswerFaq(), tracker, dispatcher)
    assert messages[0]["text"] == kb.render("skill_upgrade_subsidy")  # the best guess is still answered
    assert messages[-1]["text"] == topics.UNSURE_LINE
    assert [b["payload"] for b in messages[-1]["buttons"]] == ['/faq{"topic":"arbitration_deadline"}']


def test_a_sure_answer_offers_no_runners_up(kb, dispatcher):
    tracker = make_tracker(
        {
            "text": "仲裁要在好久之内申请",
            "intent": {"name": "faq", "confidence": 0.99},
            "response_selector": selector("arbitration_deadline", ("unpaid_wages", 0.1), confidence=0.8),
        }
    )
    _, messages = run(ActionAnswerFaq(), tracker, dispatcher)
    assert all(m.get("text") != topics.UNSURE_LINE for m in messages)


@pytest.mark.parametrize(
    "text", ["喂 你好 我要反映个事 隔壁村那个厂招的娃娃还没成年", "您好 老板跑了 工钱一分没给"]
)
def test_a_greeting_followed_by_a_story_is_not_greeted(kb, dispatcher, text):
    tracker = make_tracker({"text": text, "intent": {"name": "greet", "confidence": 0.9}})
    _, messages = run(ActionReply(), tracker, dispatcher)
    assert messages[0]["text"] != kb.render("greet")


@pytest.mark.parametrize("text", ["你好", "喂 在吗", "您好 您好"])
def test_a_greeting_is_greeted(kb, dispatcher, text):
    tracker = make_tracker({"text": text, "intent": {"name": "greet", "confidence": 0.9}})
    _, messages = run(ActionReply(), tracker, dispatcher)
    assert messages[0]["text"] == kb.render("greet")
