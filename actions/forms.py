"""The calculator forms, made from the specs of actions/calculators.py.

- `validate_<form>` reads the whole message into slots (any order, corrections), rejects impossible values
  with a clear re-ask, and decides what a message that fills nothing is: another calculator asked for
  (switch), a question to answer (rejected, so the rules answer it and the form asks again), an answer it
  could not use (counted), or, after "还要接着算吗？", a reason to leave.
- `action_ask_<form>_<slot>` asks one short question; after an unusable answer, an example; after two
  messages that filled nothing, "还要接着算吗？".
- `action_<calc>_result` shows the verdict and keeps the case for corrections; or, when the form ended to
  switch or to leave, starts the other calculator or answers the message as it is.
- `action_take_facts` (outside the forms) starts a calculator from stated facts, recomputes a kept case
  after a correction, or offers the closest topics — never the greeting.
"""

from __future__ import annotations

import datetime as dt
from abc import ABC, abstractmethod
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import dialogue, intake, topics
from actions.calculators import (
    BY_NAME,
    CALCULATORS,
    CONTINUE_INTENT,
    HELPER_SLOTS,
    Calculator,
    ask_action_name,
)
from policy_kb import kb as policy
from policy_kb.calculators import organiser, transport
from policy_kb.calculators.result import NOT_ELIGIBLE
from policy_kb.understanding import parse_place

MISSES, LEAVE, SWITCH, ASKED = "form_misses", "calc_leave", "calc_switch", "calc_asked"
ANSWER_LIKE = {"inform", "affirm", "deny"}


def today() -> dt.date:
    return dt.date.today()


def problem(calc: Calculator, slot: str, value: Any, slots: dict) -> str | None:
    """Why a value cannot be used (impossible, contradictory, in the future), or None."""
    question = next((q for q in calc.questions if q.slot == slot), None)
    if question and question.limit and isinstance(value, int | float):
        low, high, message = question.limit
        if not low <= value <= high:
            return message.format(v=policy.format_number(value))
    if slot == "stable" and slots.get("workers") and isinstance(value, int) and value > slots["workers"]:
        return f"还在岗的（{value}人）不能比输出的（{slots['workers']}人）多，请再说一下还在岗的人数。"
    if slot == "months":
        why = about_threshold(calc, value, slots)
        if why:
            return why
    day = dt.date.fromisoformat(value) if slot == "dispute_date" else None
    if day is not None and day > today():
        return f"{day.year}年{day.month}月{day.day}日还没到。请说已经发生的日期，比如“9月1号”“上个月10号”。"
    return None


def about_threshold(calc: Calculator, value: Any, slots: dict) -> str | None:
    """ "快三个月了" when 3 months is the rule: maybe a few days short, so ask instead of guessing."""
    form_key = intake.MONTHS_THRESHOLD.get(calc.form)
    if slots.get("months_bound") != "about" or form_key is None or not isinstance(value, int | float):
        return None
    threshold = policy.get().value(form_key, today())
    if threshold is None or not threshold <= value < threshold + 1:
        return None
    need = policy.format_number(threshold)
    return f"您说大概{policy.format_number(value)}个月：是已经干满{need}个月了，还是还差几天？请回“满了”或者“还差5天”这样。"


def usable(calc: Calculator, found: dict, slots: dict) -> tuple[dict, list[str]]:
    """The facts that can be used, and the re-asks for those that cannot."""
    found = dict(found)
    good, problems = {}, list(found.pop(intake.PROBLEMS, None) or [])
    merged = {**slots, **found}
    for slot, value in found.items():
        why = problem(calc, slot, value, merged)
        if why:
            problems.append(why)
        else:
            good[slot] = value
    if "ticket" not in good:
        good.pop("ticket_legs", None)
    if "months" not in good:
        good.pop("months_bound", None)
    return good, problems


def echo_place(calc: Calculator, found: dict, old_destination: str | None) -> str | None:
    """Which place and tier was understood, said back once."""
    if found.get("groups"):
        parts = "、".join(
            f"{g['place']}{g['count']}人" + (f"（走了{g['left']}人）" if g.get("left") else "")
            for g in found["groups"]
        )
        return f"记下了：{parts}，各按各的地方算。"
    if found.get("tier") and found.get("destination") != old_destination:
        tier_name = transport.TIER_NAMES[found["tier"]]
        return f"记下了：{found.get('destination') or tier_name}，按{tier_name}算。"
    return None


def cap_line(slots: dict) -> str:
    return transport.cap_sentence(slots["tier"], slots.get("destination"), slots.get("in_qujing"), today())


def organiser_line(slots: dict) -> str | None:
    if slots.get("workers_poor") is False or slots.get("groups"):
        return None
    return organiser.per_worker_sentence(slots["tier"], slots.get("destination"), today())


def decided(calc: Calculator, slots: dict) -> bool:
    """True when the answer is already settled (a 'no'), so nothing more needs asking."""
    return calc.calculate(slots, today()).verdict == NOT_ELIGIBLE


def needed(calc: Calculator, slot: str, slots: dict) -> bool:
    if calc.question(slot).optional and slot in (slots.get(ASKED) or []) and slots.get(slot) is None:
        return False  # asked once and answered with something else: computed without it
    if calc.name == "organiser":
        poor = slots.get("workers_poor")
        if slot == "months":
            return poor is not False
        if slot == "stable":
            if poor is not False or slots.get("stable") is not None:
                return poor is False
            result = calc.calculate(slots, today())
            return any("在岗" in item for item in result.missing)
        if slot == "tier" and slots.get("groups"):
            return False
    # unpaid wages while the job goes on: no limit runs, no date needed
    return not (calc.name == "arbitration" and slot == "dispute_date" and slots.get("still_employed"))


def missing_slots(calc: Calculator, slots: dict) -> list[str]:
    if decided(calc, slots):
        return []
    return [s for s in calc.slots if needed(calc, s, slots) and slots.get(s) is None]


def form_events(calc: Calculator, facts: dict) -> list[EventType]:
    return [SlotSet(slot, value) for slot, value in facts.items()]


def clear_events(calc: Calculator | None = None) -> list[EventType]:
    names: list[str] = []
    for c in [calc] if calc else CALCULATORS:
        names += c.slots
    names += [*HELPER_SLOTS, MISSES, LEAVE, SWITCH, ASKED, "requested_slot"]
    return [SlotSet(name, None) for name in dict.fromkeys(names)]


# ------------------------------------------------------------------------------------------ validation


def after_user_message(tracker: Tracker, form: str) -> bool:
    """True when the form runs on the worker's new message, not when one of our actions started it
    (its slots are already set) or when it comes back after an answer. Rasa sends the form's own run as
    the last action; the one before it tells."""
    actions = [e.get("name") for e in tracker.events or [] if e.get("event") == "action"]
    if actions and actions[-1] == form:
        actions = actions[:-1]
    return not actions or actions[-1] == "action_listen"


class CalculatorFormValidation(FormValidationAction, ABC):
    @property
    @abstractmethod
    def calc(self) -> Calculator: ...

    def name(self) -> str:
        return f"validate_{self.calc.form}"

    async def required_slots(
        self, domain_slots: list[str], dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict
    ) -> list[str]:
        slots = dict(tracker.slots)
        if slots.get(LEAVE) or slots.get(SWITCH) or decided(self.calc, slots):
            return []
        return [slot for slot in domain_slots if needed(self.calc, slot, slots)]

    async def get_validation_events(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict
    ) -> list[EventType]:
        # values were checked while reading the message; keep every slot read
        return [SlotSet(name, value) for name, value in tracker.slots_to_validate().items()]

    async def next_requested_slot(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict
    ) -> EventType:
        """One missing fact at a time; None ends the form (result, switch or leave)."""
        required = await self.required_slots(self.domain_slots(domain), dispatcher, tracker, domain)
        return SlotSet("requested_slot", next((s for s in required if tracker.slots.get(s) is None), None))

    async def get_extraction_events(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict
    ) -> list[EventType]:
        if not after_user_message(tracker, self.calc.form):
            return []  # started by one of our actions (slots already set), or back after an answer
        message = tracker.latest_message or {}
        text = topics.message_text(message)
        intent = (message.get("intent") or {}).get("name")
        requested = tracker.get_slot("requested_slot")
        misses = tracker.get_slot(MISSES) or 0
        slots = dict(tracker.slots)
        if misses >= 2:  # "还要接着算吗？" was asked: a bare yes goes on, a bare no leaves
            answer = intake.yes_no(text, intent)
            if intent == CONTINUE_INTENT or answer is True:
                return [SlotSet(MISSES, 0)]
            if answer is False:
                return [SlotSet(LEAVE, True), SlotSet("requested_slot", None)]
        found = self.calc.read(text, intent, requested, today(), slots)
        good, problems = usable(self.calc, found, slots)
        for why in problems:
            dispatcher.utter_message(text=why)
        events = [SlotSet(k, v) for k, v in good.items() if slots.get(k) != v]
        said = echo_place(self.calc, good, slots.get("destination"))
        if said:
            dispatcher.utter_message(text=said)
        elif requested == "tier" and "tier" not in good:
            place = parse_place(intake.clean(text))
            if place is not None and place.is_ambiguous and place.question:
                dispatcher.utter_message(text=place.question)
        if events or good:
            return [*events, SlotSet(MISSES, 0)]
        if problems:
            return [SlotSet(MISSES, misses + 1)]
        if intent == CONTINUE_INTENT:
            return [SlotSet(MISSES, 0)]
        other = dialogue.other_calculator(self.calc, text, intent, topics.faq_key(message))
        if other is not None:
            return [SlotSet(SWITCH, other.name), SlotSet("requested_slot", None)]
        if misses >= 2 and intent not in ("stop", "human_handoff"):
            return [SlotSet(LEAVE, True), SlotSet("requested_slot", None)]
        if intent in ANSWER_LIKE or intent == self.calc.intent:
            return [SlotSet(MISSES, misses + 1)]
        return []  # a question (FAQ, greeting, low confidence…): the rules answer it, the form asks again


class ValidateTransportForm(CalculatorFormValidation):
    calc = BY_NAME["transport"]


class ValidateOrganiserForm(CalculatorFormValidation):
    calc = BY_NAME["organiser"]


class ValidateArbitrationForm(CalculatorFormValidation):
    calc = BY_NAME["arbitration"]


# --------------------------------------------------------------------------------------------- asking


class AskQuestion(Action, ABC):
    """action_ask_<form>_<slot>: one short question; an example after an unusable answer; after two
    messages that filled nothing, whether to go on."""

    slot = ""

    @property
    @abstractmethod
    def calc(self) -> Calculator: ...

    def name(self) -> str:
        return ask_action_name(self.calc, self.slot)

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[EventType]:
        question = self.calc.question(self.slot)
        misses = tracker.get_slot(MISSES) or 0
        intent = ((tracker.latest_message or {}).get("intent") or {}).get("name")
        if misses >= 2:
            dispatcher.utter_message(
                text=f"还要接着算{self.calc.title}吗？",
                buttons=[
                    {"title": "接着算", "payload": f"/{CONTINUE_INTENT}"},
                    {"title": "不算了", "payload": "/stop"},
                ],
            )
            return []
        text = question.text
        if misses == 1 and intent in ANSWER_LIKE | {self.calc.intent}:
            text = f"我还没弄明白。{question.example}"
        buttons = [{"title": title, "payload": payload} for title, payload in question.buttons]
        buttons.append({"title": "不算了", "payload": "/stop"})
        dispatcher.utter_message(text=text, buttons=buttons)
        if question.optional:
            return [SlotSet(ASKED, [*(tracker.get_slot(ASKED) or []), self.slot])]
        return []


def _ask_action(calc: Calculator, slot: str) -> type[AskQuestion]:
    cls_name = "Ask" + "".join(part.title() for part in f"{calc.form}_{slot}".split("_"))
    return type(cls_name, (AskQuestion,), {"calc": calc, "slot": slot, "__module__": __name__})


# one rasa-sdk Action class per question (the action server registers every Action subclass)
ASK_ACTIONS = [_ask_action(calc, slot) for calc in CALCULATORS for slot in calc.slots]


# ---------------------------------------------------------------------------------------- the result


def start_events(dispatcher: CollectingDispatcher, decision: dialogue.Decision) -> list[EventType]:
    """Say what was understood and start (or recompute) the calculator a decision names."""
    calc = decision.calc
    good, problems = usable(calc, decision.facts, {})
    events: list[EventType] = [*clear_events(), SlotSet("last_topic", None)]
    for key in filter(None, (decision.prefix_key, *decision.more_keys)):
        dispatcher.utter_message(text=policy.get().render(key))
    if decision.rule_line and good.get("tier"):
        line = cap_line(good) if calc.name == "transport" else organiser_line(good)
        if line:
            dispatcher.utter_message(text=line)
    if decision.prefix:
        dispatcher.utter_message(text=decision.prefix)
    for why in problems:
        dispatcher.utter_message(text=why)
    said = echo_place(calc, good, decision.old_destination)
    if said and not decision.prefix and not decision.rule_line:
        dispatcher.utter_message(text=said)
    events += form_events(calc, good)
    if not missing_slots(calc, good) and not problems:
        return events + show_result(dispatcher, calc, good, decision.pending)
    return [*events, SlotSet("pending_case", decision.pending), FollowupAction(calc.form)]


def show_result(
    dispatcher: CollectingDispatcher, calc: Calculator, slots: dict, pending: dict | None
) -> list[EventType]:
    result = calc.calculate(slots, today())
    *first, last = result.bubbles()
    for bubble in first:
        dispatcher.utter_message(text=bubble)
    dispatcher.utter_message(text=last, buttons=topics.menu_buttons()[:3])
    kept = {k: slots.get(k) for k in [*calc.slots, *HELPER_SLOTS] if slots.get(k) is not None}
    case = {"calc": calc.name, "slots": kept, "at": dialogue.now()}
    events: list[EventType] = [*clear_events(), SlotSet("last_case", case), SlotSet("last_topic", None)]
    events.append(SlotSet("pending_case", None))
    if pending:
        decision = dialogue.start_pending(pending, today())
        if decision is not None:
            events += start_events(dispatcher, decision)
    return events


class ShowResult(Action, ABC):
    """The form ended: the verdict (kept for corrections), or the switch to another calculator, or —
    after "还要接着算吗？" went unanswered — the message answered as it is."""

    @property
    @abstractmethod
    def calc(self) -> Calculator: ...

    def name(self) -> str:
        return self.calc.result_action

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[EventType]:
        slots = dict(tracker.slots)
        message = tracker.latest_message or {}
        if slots.get(SWITCH):
            other = BY_NAME[slots[SWITCH]]
            facts = other.read(topics.message_text(message), None, None, today(), {})
            decision = dialogue.Decision(other, facts)
            return start_events(dispatcher, decision)
        if slots.get(LEAVE):
            dispatcher.utter_message(text=f"好的，{self.calc.title}先不算了。")
            return [*clear_events(), *answer_as_is(dispatcher, tracker)]
        return show_result(dispatcher, self.calc, slots, slots.get("pending_case"))


def say_other_region(dispatcher: CollectingDispatcher, place: str) -> None:
    """Another region's policy: say so, point to that place's hotline, and give no Huize amount as theirs."""
    dispatcher.utter_message(text=f"您问的是{place}的政策。" + policy.get().render("other_region"))


def answer_rule(dispatcher: CollectingDispatcher, decision: dialogue.Decision) -> list[EventType]:
    """A rule question's own answer, and the cap of the place it names when it also asks how much."""
    for key in (decision.faq_key, *decision.more_keys):
        topics.say_answer(dispatcher, key, question=True, related=False)
    if decision.facts.get("tier"):
        dispatcher.utter_message(text=cap_line(decision.facts))
    key = decision.faq_key or ""
    return [SlotSet("last_topic", "transport_subsidy" if key.startswith("transport") else key)]


def suggest(dispatcher: CollectingDispatcher, message: dict) -> None:
    """Not understood: say so, offer the closest topics as buttons, give the phones. No guess."""
    keys = topics.closest_topics(message)
    dispatcher.utter_message(
        text=policy.get().render("fallback"), buttons=[topics.topic_button(k) for k in keys]
    )


def miss_events(tracker: Tracker) -> list[EventType]:
    """In the middle of a calculator, a message that filled nothing counts towards "还要接着算吗？"."""
    if not tracker.active_loop:
        return [SlotSet("last_topic", None)]
    return [SlotSet(MISSES, (tracker.get_slot(MISSES) or 0) + 1)]


def route(
    dispatcher: CollectingDispatcher,
    tracker: Tracker,
    intent: str | None,
    key: str | None,
    rules: bool = True,
) -> list[EventType] | None:
    """What a message outside the plain answer is: another region's policy, a calculator case (started),
    or a rule question (answered, unless `rules` is False). None when it is none of these."""
    message = tracker.latest_message or {}
    text = topics.message_text(message)
    region = dialogue.other_region(text)
    if region:
        say_other_region(dispatcher, region)
        return miss_events(tracker)
    if tracker.active_loop:
        return None
    decision = dialogue.decide(text, intent, key, dict(tracker.slots), today())
    if decision is not None and decision.calc is not None:
        return start_events(dispatcher, decision)
    if decision is not None and decision.faq_key and rules:
        return answer_rule(dispatcher, decision)
    return None


def answer_as_is(dispatcher: CollectingDispatcher, tracker: Tracker) -> list[EventType]:
    """Answer the latest message without any calculator: its FAQ, or the closest topics."""
    message = tracker.latest_message or {}
    key = topics.faq_key(message)
    intent = (message.get("intent") or {}).get("name")
    if intent == "faq" and key:
        topics.say_answer(dispatcher, key, question=not topics.browsing(message))
        return [SlotSet("last_topic", key)]
    suggest(dispatcher, message)
    return []


class ActionTransportResult(ShowResult):
    calc = BY_NAME["transport"]


class ActionOrganiserResult(ShowResult):
    calc = BY_NAME["organiser"]


class ActionArbitrationResult(ShowResult):
    calc = BY_NAME["arbitration"]


class ActionFormExit(Action):
    """The worker said 算了 / 不问了: leave politely and forget what was asked."""

    def name(self) -> str:
        return "action_form_exit"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[EventType]:
        dispatcher.utter_message(text=policy.get().render("form_exit"), buttons=topics.menu_buttons())
        return [*clear_events(), SlotSet("pending_case", None)]


class ActionTakeFacts(Action):
    """A message outside any form that may carry a case: start the calculator it belongs to (every fact
    filled), recompute the kept case after a correction, or offer the closest topics and the phones."""

    def name(self) -> str:
        return "action_take_facts"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[EventType]:
        message = tracker.latest_message or {}
        intent = (message.get("intent") or {}).get("name")
        events = route(dispatcher, tracker, intent, topics.faq_key(message))
        if events is not None:
            return events
        if intent == "stop":
            dispatcher.utter_message(text=policy.get().render("form_exit"), buttons=topics.menu_buttons())
        else:
            suggest(dispatcher, message)
        return [SlotSet("last_topic", None)]
