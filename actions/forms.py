"""The calculator forms: thin actions around actions/intake.py (understanding) and policy_kb.calculators.

For each form: `validate_<form>` reads the whole message into slots (any order, corrections), rejects
impossible values with a clear re-ask, and stops asking once the verdict is settled; `action_ask_<form>_<slot>`
asks one short question (with an example after two unusable answers); `action_<calc>_result` shows the
verdict and clears the slots.
"""

from __future__ import annotations

import datetime as dt
from abc import ABC, abstractmethod
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import intake, topics
from actions.questions import QUESTIONS, Question
from policy_kb import kb as policy
from policy_kb.calculators import arbitration, organiser, transport
from policy_kb.calculators.result import NOT_ELIGIBLE
from policy_kb.understanding import parse_place

MISSES = "form_misses"
HELPER_SLOTS = ["in_qujing", "destination", "dispute_understood", MISSES]
# intents that are answers; anything else that fills no slot is let through to the rules (FAQ mid-form…)
ANSWER_INTENTS = {
    "inform",
    "affirm",
    "deny",
    "nlu_fallback",
    "bad_input",
    "check_transport_subsidy",
    "check_organiser_subsidy",
    "check_arbitration_deadline",
}

# what a worker could plausibly type; outside these a value is a typo or a misunderstanding
LIMITS = {
    "ticket": (
        1,
        5000,
        "车票金额看着不对（{v}元）。请回复从家到打工地的车票钱，一般几十到一千多元，比如“680”。",
    ),
    "months": (0, 120, "{v}个月看着不对。请回复在那边干了几个月，比如“5个月”“半年”。"),
    "workers": (1, 5000, "{v}人看着不对。请回复组织输出的人数，比如“25个”。"),
    "stable": (0, 5000, "{v}人看着不对。请回复干满半年还在岗的人数，比如“18个”。"),
}


def today() -> dt.date:
    return dt.date.today()


def transport_case(slots: dict) -> transport.TransportCase:
    return transport.TransportCase(
        registered_poor=slots.get("registered_poor"),
        tier=slots.get("tier"),
        in_qujing=slots.get("in_qujing"),
        destination=slots.get("destination"),
        months=slots.get("months"),
        ticket=slots.get("ticket"),
        organised=slots.get("organised"),
        claimed_this_year=slots.get("claimed_this_year"),
    )


def organiser_case(slots: dict) -> organiser.OrganiserCase:
    return organiser.OrganiserCase(
        organiser=slots.get("organiser_type"),
        workers_poor=slots.get("workers_poor"),
        tier=slots.get("tier"),
        destination=slots.get("destination"),
        workers=slots.get("workers"),
        months=slots.get("months"),
        stable=slots.get("stable"),
    )


def arbitration_case(slots: dict) -> arbitration.ArbitrationCase:
    raw = slots.get("dispute_date")
    return arbitration.ArbitrationCase(
        dispute_date=dt.date.fromisoformat(raw) if raw else None,
        understood=slots.get("dispute_understood"),
    )


class CalculatorFormValidation(FormValidationAction):
    """Shared logic of the three validation actions; subclasses name the form and its calculator."""

    form = ""

    def name(self) -> str:
        return f"validate_{self.form}"

    @abstractmethod
    def decided(self, slots: dict) -> bool:
        """True when the answer is already settled (a 'no'), so nothing more needs asking."""

    def needed(self, slot: str, slots: dict) -> bool:
        return True

    async def required_slots(
        self, domain_slots: list[str], dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict
    ) -> list[str]:
        slots = dict(tracker.slots)
        if self.decided(slots):
            return []
        return [slot for slot in domain_slots if self.needed(slot, slots)]

    async def get_validation_events(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict
    ) -> list[EventType]:
        # values were checked while reading the message (see `problem`); keep every slot read, helper
        # slots (destination, misses…) and slots of a case already decided included
        return [SlotSet(name, value) for name, value in tracker.slots_to_validate().items()]

    async def next_requested_slot(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict
    ) -> EventType:
        """Always decide the next question here (None ends the form), one missing fact at a time."""
        required = await self.required_slots(self.domain_slots(domain), dispatcher, tracker, domain)
        return SlotSet("requested_slot", next((s for s in required if tracker.slots.get(s) is None), None))

    async def get_extraction_events(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict
    ) -> list[EventType]:
        message = tracker.latest_message or {}
        intent = (message.get("intent") or {}).get("name")
        requested = tracker.get_slot("requested_slot")
        found = intake.facts(self.form, message.get("text") or "", intent, requested, today())
        events, problems = [], []
        for slot, value in found.items():
            problem = self.problem(slot, value, {**tracker.slots, **found})
            if problem:
                problems.append(problem)
            elif tracker.get_slot(slot) != value:
                events.append(SlotSet(slot, value))
        for problem in problems:
            dispatcher.utter_message(text=problem)
        self.echo_place(dispatcher, tracker, found, message.get("text") or "", requested)
        if events:
            return [*events, SlotSet(MISSES, 0)]
        if problems or intent in ANSWER_INTENTS:
            # an answer we could not use: keep the form going and count it, so the question changes
            return [SlotSet(MISSES, (tracker.get_slot(MISSES) or 0) + 1)]
        return []  # not an answer (an FAQ, a greeting…): let the rules handle it, the form resumes after

    @staticmethod
    def echo_place(
        dispatcher: CollectingDispatcher, tracker: Tracker, found: dict, text: str, requested: str | None
    ):
        """Say which place and tier was understood; for 省内/县外 and the like, ask which it is."""
        if found.get("tier") and found.get("destination") != tracker.get_slot("destination"):
            tier_name = transport.TIER_NAMES[found["tier"]]
            dispatcher.utter_message(
                text=f"记下了：{found.get('destination') or tier_name}，按{tier_name}算。"
            )
        elif requested == "tier" and "tier" not in found:
            place = parse_place(text)
            if place is not None and place.is_ambiguous and place.question:
                dispatcher.utter_message(text=place.question)

    def problem(self, slot: str, value: Any, slots: dict) -> str | None:
        if slot in LIMITS and isinstance(value, int | float):
            low, high, message = LIMITS[slot]
            if not low <= value <= high:
                return message.format(v=policy.format_number(value))
        if slot == "stable" and slots.get("workers") and isinstance(value, int) and value > slots["workers"]:
            return f"还在岗的（{value}人）不能比输出的（{slots['workers']}人）多，请再说一下还在岗的人数。"
        return None


class ValidateTransportForm(CalculatorFormValidation):
    form = "transport_form"

    def decided(self, slots: dict) -> bool:
        return transport.calculate(transport_case(slots), today()).verdict == NOT_ELIGIBLE


class ValidateOrganiserForm(CalculatorFormValidation):
    form = "organiser_form"

    def decided(self, slots: dict) -> bool:
        return organiser.calculate(organiser_case(slots), today()).verdict == NOT_ELIGIBLE

    def needed(self, slot: str, slots: dict) -> bool:
        poor = slots.get("workers_poor")
        if slot == "months":
            return poor is not False
        if slot == "stable":
            if poor is not False or slots.get("stable") is not None:
                return poor is False
            result = organiser.calculate(organiser_case(slots), today())
            return any("在岗" in item for item in result.missing)
        return True


class ValidateArbitrationForm(CalculatorFormValidation):
    form = "arbitration_form"

    def decided(self, slots: dict) -> bool:
        return False  # one question only: the date

    def problem(self, slot: str, value: Any, slots: dict) -> str | None:
        if slot == "dispute_date" and dt.date.fromisoformat(value) > today():
            day = dt.date.fromisoformat(value)
            return (
                f"{day.year}年{day.month}月{day.day}日还没到。请说已经发生的日期，比如“9月1号”“上个月10号”。"
            )
        return None


class AskQuestion(Action, ABC):
    """action_ask_<form>_<slot>: one short question; after two unusable answers, an example instead."""

    form = ""
    slot = ""

    @property
    @abstractmethod
    def question(self) -> Question: ...

    def name(self) -> str:
        return f"action_ask_{self.form}_{self.slot}"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[EventType]:
        question = self.question
        misses = tracker.get_slot(MISSES) or 0
        text = question.text if misses < 2 else f"我还没弄明白。{question.example}"
        buttons = [{"title": title, "payload": payload} for title, payload in question.buttons]
        buttons.append({"title": "不算了", "payload": "/stop"})
        dispatcher.utter_message(text=text, buttons=buttons)
        return []


def _ask_action(form: str, slot: str) -> type[AskQuestion]:
    cls_name = "Ask" + "".join(part.title() for part in f"{form}_{slot}".split("_"))
    question = property(lambda self: QUESTIONS[form][slot])
    return type(cls_name, (AskQuestion,), {"form": form, "slot": slot, "question": question})


# one rasa-sdk Action class per question (the action server registers every Action subclass)
ASK_ACTIONS = [_ask_action(form, slot) for form, slots in QUESTIONS.items() for slot in slots]


def clear_slots(form: str) -> list[EventType]:
    slots = [*QUESTIONS[form], *HELPER_SLOTS, "requested_slot"]
    return [SlotSet(slot, None) for slot in slots]


class ShowResult(Action, ABC):
    """Render the calculator's verdict for the filled slots, then forget them for the next question."""

    form = ""
    action_name = ""

    def name(self) -> str:
        return self.action_name

    @abstractmethod
    def calculate(self, slots: dict): ...

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[EventType]:
        result = self.calculate(dict(tracker.slots))
        dispatcher.utter_message(text=result.render(), buttons=topics.menu_buttons()[:3])
        return clear_slots(self.form)


class ActionTransportResult(ShowResult):
    form, action_name = "transport_form", "action_transport_result"

    def calculate(self, slots: dict):
        return transport.calculate(transport_case(slots), today())


class ActionOrganiserResult(ShowResult):
    form, action_name = "organiser_form", "action_organiser_result"

    def calculate(self, slots: dict):
        return organiser.calculate(organiser_case(slots), today())


class ActionArbitrationResult(ShowResult):
    form, action_name = "arbitration_form", "action_arbitration_result"

    def calculate(self, slots: dict):
        return arbitration.calculate(arbitration_case(slots), today())


class ActionFormExit(Action):
    """The worker said 算了 / 不问了: leave politely and forget what was asked."""

    def name(self) -> str:
        return "action_form_exit"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[EventType]:
        dispatcher.utter_message(text=policy.get().render("form_exit"), buttons=topics.menu_buttons())
        events: list[EventType] = []
        for form in QUESTIONS:
            events += clear_slots(form)
        return events
