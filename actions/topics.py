"""Which policy_kb answer a tracker is asking for, and the buttons that lead to answers."""

from __future__ import annotations

from typing import Any

from policy_kb import kb as policy
from policy_kb.navigation import (  # noqa: F401 - the actions' names for the navigation data
    CALCULATORS,
    INTENT_TOPICS,
    MENU,
    OVERVIEWS,
    RELATED,
    faq_ranking,
    menu_buttons,
    selected_faq,
    topic_button,
)


def message_text(parse_data: dict[str, Any]) -> str:
    """The worker's words for reading facts: the whole story when the channel sent Rasa only the
    story's question (bot/plugins/splitting.py), else the text."""
    story = (parse_data.get("metadata") or {}).get("story")
    return story if isinstance(story, str) and story else (parse_data.get("text") or "")


def browsing(parse_data: dict[str, Any]) -> bool:
    """A tapped topic or a bare keyword ("社保", "以奖代补"): the summary, with the details behind 看详细. A real
    question gets its details too, as a second bubble: what it asks is often there (材料, 强制执行 …)."""
    text = (parse_data.get("text") or "").strip()
    return text.startswith("/") or len(text) <= 4


def say_answer(dispatcher: Any, key: str, question: bool, related: bool = True) -> None:
    """An FAQ answer: its first bubble, then (for a question) its details; the buttons under the last.
    `related` adds the calculator and related-answer buttons to the details one."""
    kb = policy.get()
    details = kb.details(key, source=False) if question else ""
    if not details:
        dispatcher.utter_message(text=kb.render(key), buttons=answer_buttons(key, related=related))
        return
    dispatcher.utter_message(text=kb.render(key))
    dispatcher.utter_message(text=details, buttons=answer_buttons(key, details=False, related=related))


UNSURE = 0.3  # the response selector's confidence below which its runners-up are offered too
RUNNER_UP = 0.1  # a runner-up less likely than this is not worth a button
UNSURE_LINE = "如果问的不是这个，点下面的："


def runners_up(parse_data: dict[str, Any], answered: str, limit: int = 2) -> list[str]:
    """When the model was unsure of the FAQ key (on our held-out set, 20 of the 32 answers below 0.3 were
    wrong): the next keys it considered, so that a wrong guess costs the worker one tap."""
    ranking = faq_ranking(parse_data)
    if not ranking or ranking[0][1] >= UNSURE:
        return []
    answers = policy.get().answers
    top = ranking[0][0]
    if top != answered:
        return []  # answered from a button or an intent, not from the selector's guess
    keys = []
    for key, confidence in ranking[1:]:
        if confidence < RUNNER_UP or key == top or key not in answers:
            continue
        if answers[key].kind == "faq" and key not in keys:
            keys.append(key)
    return keys[:limit]


def answer_buttons(key: str, details: bool = True, related: bool = True) -> list[dict[str, str]]:
    """The buttons under an FAQ answer: "看详细" (on WeChat "回复1看详细") when it keeps details for later,
    its calculator, the answers it leads to."""
    kb = policy.get()
    buttons = []
    if details and key in kb.answers and kb.answers[key].details.strip():
        buttons.append({"title": policy.DETAILS_BUTTON, "payload": f'/ask_details{{"topic":"{key}"}}'})
    if not related:
        return buttons
    calculator = CALCULATORS.get(key)
    if calculator:
        buttons.append({"title": calculator[0], "payload": calculator[1]})
    buttons += [topic_button(k) for k in [*OVERVIEWS.get(key, []), *RELATED.get(key, [])] if k in kb.answers]
    if key in ("overview_organiser", "organiser_reward"):
        buttons.append({"title": "帮我算算组织输出补贴", "payload": "/check_organiser_subsidy"})
    return buttons


def faq_key(parse_data: dict[str, Any]) -> str | None:
    """The FAQ key of a parsed message: a button's `topic` entity, else the ResponseSelector's pick."""
    answers = policy.get().answers
    for entity in parse_data.get("entities") or []:
        if entity.get("entity") == "topic" and entity.get("value") in answers:
            return entity["value"]
    intent = (parse_data.get("intent") or {}).get("name")
    if intent in INTENT_TOPICS:
        return INTENT_TOPICS[intent]
    key = (selected_faq(parse_data) or "").removeprefix("faq/")
    return key if key in answers else None


def closest_topics(parse_data: dict[str, Any], limit: int = 3) -> list[str]:
    """The FAQ keys a low-confidence message most likely meant, best first."""
    answers = policy.get().answers
    ranked: list[tuple[float, str]] = []
    ranking = faq_ranking(parse_data)
    for intent in parse_data.get("intent_ranking") or []:
        name, confidence = intent.get("name"), float(intent.get("confidence") or 0)
        if name == "faq":
            for key, chosen in ranking[:limit]:
                ranked.append((confidence * chosen, key))
        elif name in INTENT_TOPICS:
            ranked.append((confidence, INTENT_TOPICS[name]))
    keys: list[str] = []
    for _, key in sorted(ranked, key=lambda pair: -pair[0]):
        if key in answers and answers[key].kind == "faq" and key not in keys:
            keys.append(key)
    return keys[:limit] or MENU[:limit]
