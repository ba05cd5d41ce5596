"""Actions that answer from policy_kb: FAQ answers, chitchat, fallback suggestions, bad input."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import FollowupAction
from rasa_sdk.executor import CollectingDispatcher

from actions import topics
from policy_kb import kb as policy

# chitchat intents whose answer key is the intent's own name; these show the topic menu
MENU_REPLIES = {"greet", "ask_capabilities", "out_of_scope"}
CHITCHAT = MENU_REPLIES | {"goodbye", "thanks", "human_handoff"}


class ActionAnswerFaq(Action):
    """Answer the FAQ key chosen by the ResponseSelector (or by a button), rendered from policy_kb.

    A rule question that already carries the facts of the worker's own case ("他5月31号回来的，最迟哪天
    仲裁") goes to the calculator instead; the general answer offers the calculator as a button.
    """

    def name(self) -> str:
        return "action_answer_faq"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list:
        key = topics.faq_key(tracker.latest_message)
        if key is None:
            return ActionSuggestTopics().run(dispatcher, tracker, domain)
        form = topics.own_case_form(key, tracker.latest_message.get("text") or "")
        if form and not tracker.active_loop:
            return [FollowupAction(form)]
        calculator = topics.CALCULATORS.get(key)
        buttons = [{"title": calculator[0], "payload": calculator[1]}] if calculator else []
        dispatcher.utter_message(text=policy.get().render(key), buttons=buttons)
        return []


class ActionReply(Action):
    """Greeting, menu, thanks, goodbye, handoff and out-of-scope replies."""

    def name(self) -> str:
        return "action_reply"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list:
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        key = intent if intent in CHITCHAT else "greet"
        buttons = topics.menu_buttons() if key in MENU_REPLIES else []
        dispatcher.utter_message(text=policy.get().render(key), buttons=buttons)
        return []


class ActionSuggestTopics(Action):
    """Low confidence: apologise, offer the closest topics as buttons, give the phones. No guess."""

    def name(self) -> str:
        return "action_suggest_topics"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list:
        keys = topics.closest_topics(tracker.latest_message)
        dispatcher.utter_message(
            text=policy.get().render("fallback"), buttons=[topics.topic_button(k) for k in keys]
        )
        return []


class ActionBadInput(Action):
    """Empty, emoji-only or over-long messages (flagged by the REST channel): ask politely again."""

    def name(self) -> str:
        return "action_bad_input"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list:
        problem = next(tracker.get_latest_entity_values("problem"), "empty")
        key = "too_long" if problem == "too_long" else "bad_input"
        dispatcher.utter_message(text=policy.get().render(key), buttons=topics.menu_buttons())
        return []
