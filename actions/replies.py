"""Actions that answer from policy_kb: FAQ answers, chitchat, fallback suggestions, bad input."""

from __future__ import annotations

import re
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import forms, topics
from policy_kb import kb as policy

# chitchat intents whose answer key is the intent's own name; these show the topic menu
MENU_REPLIES = {"greet", "ask_capabilities", "out_of_scope"}
CHITCHAT = MENU_REPLIES | {"goodbye", "thanks", "human_handoff"}
# a question word in a message taken for a greeting: not a greeting
_GREETING = re.compile(r"喂|你好|您好|在吗|在不在|请问|hello|hi|哈喽|嗨|早上好|晚上好|师傅|老师|同志", re.I)
_HAN = re.compile(r"[\u4e00-\u9fff]")
_STORY = 5  # Chinese characters besides the greeting words: more is a message of its own
_ASKS = re.compile(r".{4,}(咋|怎么|哪|什么|啥|吗|么|多少|好多|几|能不能|可不可以|有没有|[?？])")


class ActionAnswerFaq(Action):
    """Answer the FAQ key chosen by the ResponseSelector (or by a button), rendered from policy_kb.

    Outside a calculator, a question that carries the worker's own case ("去上海的车票八百多能全报吗",
    "他5月31号回来的，最迟哪天仲裁") starts the calculator with those facts (the rule said first where
    asked), and a rule question ("报车费要带哪些东西") gets its own answer. The answer of a calculator
    topic offers the calculator as a button, and a "yes" or facts after it start it.
    """

    def name(self) -> str:
        return "action_answer_faq"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list:
        key = topics.faq_key(tracker.latest_message)
        if key is None:
            return ActionSuggestTopics().run(dispatcher, tracker, domain)
        events = forms.route(dispatcher, tracker, "faq", key)
        if events is not None:
            return events
        message = tracker.latest_message or {}
        browsing = topics.browsing(message)
        topics.say_answer(dispatcher, key, question=not browsing)
        others = [] if browsing else topics.runners_up(message, key)
        if others:
            dispatcher.utter_message(
                text=topics.UNSURE_LINE, buttons=[topics.topic_button(k) for k in others]
            )
        if tracker.active_loop:
            return forms.miss_events(tracker)
        return [SlotSet("last_topic", key)]


class ActionAnswerDetails(Action):
    """ "看详细" (a button, or "详细说说" typed): the second bubble of the answer asked about, or of the last
    answer given. An answer without details says so and offers the phones."""

    def name(self) -> str:
        return "action_answer_details"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list:
        kb = policy.get()
        key = next(tracker.get_latest_entity_values("topic"), None) or tracker.get_slot("last_topic")
        if key not in kb.answers:
            return ActionSuggestTopics().run(dispatcher, tracker, domain)
        details = kb.details(key)
        if not details:
            center, hotline = kb.contacts["center"], kb.contacts["hotline"]
            details = (
                f"上面就是{kb.answers[key].title}的全部内容。还想问细的，"
                f"打{center.short_name}{center.phone}或{hotline.phone}。"
            )
        dispatcher.utter_message(text=details, buttons=topics.answer_buttons(key, details=False))
        if tracker.active_loop:
            return []
        return [SlotSet("last_topic", key)]


class ActionReply(Action):
    """Greeting, menu, thanks, goodbye, handoff and out-of-scope replies."""

    def name(self) -> str:
        return "action_reply"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list:
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        # another region's policy, a case with many place names, or a correction of the kept case
        # ("不对 我刚打电话问了…", taken for a handoff): not chitchat
        events = forms.route(dispatcher, tracker, intent, None, rules=False)
        if events is not None:
            return events
        key = intent if intent in CHITCHAT else "fallback"
        text = tracker.latest_message.get("text") or ""
        if key == "greet" and (_ASKS.search(text) or len(_HAN.findall(_GREETING.sub("", text))) >= _STORY):
            # "官司太复杂了 哪点有人帮忙", "喂 你好 老板跑了…": a question or a story, never the greeting
            key = "fallback"
        if key == "fallback":
            return ActionSuggestTopics().run(dispatcher, tracker, domain)
        buttons = topics.menu_buttons() if key in MENU_REPLIES else []
        dispatcher.utter_message(text=policy.get().render(key), buttons=buttons)
        return forms.miss_events(tracker)


class ActionSuggestTopics(Action):
    """Low confidence: apologise, offer the closest topics as buttons, give the phones. No guess."""

    def name(self) -> str:
        return "action_suggest_topics"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list:
        # unsure of the topic, but the message may still be a rule question or a case ("回家的车票算不算")
        routed = forms.route(dispatcher, tracker, "nlu_fallback", None)
        if routed is not None:
            return routed
        forms.suggest(dispatcher, tracker.latest_message)
        return forms.miss_events(tracker)


class ActionBadInput(Action):
    """Empty, emoji-only or over-long messages (flagged by the REST channel): ask politely again."""

    def name(self) -> str:
        return "action_bad_input"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list:
        problem = next(tracker.get_latest_entity_values("problem"), "empty")
        key = "too_long" if problem == "too_long" else "bad_input"
        dispatcher.utter_message(text=policy.get().render(key), buttons=topics.menu_buttons())
        return []
