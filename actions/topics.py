"""Which policy_kb answer a tracker is asking for, and the buttons that lead to answers."""

from __future__ import annotations

from typing import Any

from policy_kb import kb as policy

# The main topics of the greeting menu, in the order a worker needs them most.
MENU = [
    "unpaid_wages",
    "transport_subsidy",
    "job_info_channels",
    "job_scam",
    "organiser_subsidy",
    "hotline_12333",
]

# A worker's own case maps to the FAQ topic that explains the rule.
INTENT_TOPICS = {
    "check_transport_subsidy": "transport_subsidy",
    "check_organiser_subsidy": "organiser_subsidy",
    "check_arbitration_deadline": "arbitration_deadline",
}


# An overview answer: one line per measure, and a button into each
OVERVIEWS = {
    "overview_worker": [
        "transport_subsidy",
        "vocational_training_subsidy",
        "public_service_post",
        "startup_subsidy",
        "startup_loan",
        "yulu_plan",
    ],
    "overview_organiser": ["organiser_subsidy"],
    "overview_employer": ["employer_subsidy", "poverty_workshop", "vocational_training_subsidy"],
}

# answers that lead to each other (a button under each)
RELATED = {
    "organiser_subsidy": ["organiser_reward"],
    "organiser_reward": ["organiser_subsidy"],
    "public_welfare_post": ["public_service_post"],
    "zero_employment_household": ["public_welfare_post"],
    "employer_subsidy": ["employer_insurance_subsidy"],
    "employer_insurance_subsidy": ["employer_subsidy"],
    "vocational_training_subsidy": ["free_training"],
    "free_training": ["vocational_training_subsidy"],
}

# FAQ topics with a calculator: the button that starts it
CALCULATORS = {
    "transport_subsidy": ("帮我算算能补多少", "/check_transport_subsidy"),
    "organiser_subsidy": ("帮我算算组织输出补贴", "/check_organiser_subsidy"),
    "arbitration_deadline": ("帮我算最晚哪天申请", "/check_arbitration_deadline"),
    "unpaid_wages": ("帮我算仲裁期限", "/check_arbitration_deadline"),
}


def message_text(parse_data: dict[str, Any]) -> str:
    """The worker's words for reading facts: the whole story when the channel sent Rasa only the
    story's question (bot/splitting.py), else the text."""
    story = (parse_data.get("metadata") or {}).get("story")
    return story if isinstance(story, str) and story else (parse_data.get("text") or "")


def topic_button(key: str) -> dict[str, str]:
    """A quick-reply chip that asks for one FAQ answer, whatever the NLU would make of its title."""
    return {"title": policy.get().answers[key].title, "payload": f'/faq{{"topic":"{key}"}}'}


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
    ranking = (parse_data.get("response_selector") or {}).get("faq", {}).get("ranking") or []
    if not ranking or float(ranking[0].get("confidence") or 0) >= UNSURE:
        return []
    answers = policy.get().answers
    top = (ranking[0].get("intent_response_key") or "").removeprefix("faq/")
    if top != answered:
        return []  # answered from a button or an intent, not from the selector's guess
    keys = []
    for choice in ranking[1:]:
        key = (choice.get("intent_response_key") or "").removeprefix("faq/")
        if float(choice.get("confidence") or 0) < RUNNER_UP or key == top or key not in answers:
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


def menu_buttons() -> list[dict[str, str]]:
    return [topic_button(key) for key in MENU]


def faq_key(parse_data: dict[str, Any]) -> str | None:
    """The FAQ key of a parsed message: a button's `topic` entity, else the ResponseSelector's pick."""
    answers = policy.get().answers
    for entity in parse_data.get("entities") or []:
        if entity.get("entity") == "topic" and entity.get("value") in answers:
            return entity["value"]
    intent = (parse_data.get("intent") or {}).get("name")
    if intent in INTENT_TOPICS:
        return INTENT_TOPICS[intent]
    selected = (parse_data.get("response_selector") or {}).get("faq", {}).get("response", {})
    key = (selected.get("intent_response_key") or "").removeprefix("faq/")
    return key if key in answers else None


def closest_topics(parse_data: dict[str, Any], limit: int = 3) -> list[str]:
    """The FAQ keys a low-confidence message most likely meant, best first."""
    answers = policy.get().answers
    ranked: list[tuple[float, str]] = []
    faq_ranking = (parse_data.get("response_selector") or {}).get("faq", {}).get("ranking") or []
    for intent in parse_data.get("intent_ranking") or []:
        name, confidence = intent.get("name"), float(intent.get("confidence") or 0)
        if name == "faq":
            for choice in faq_ranking[:limit]:
                key = (choice.get("intent_response_key") or "").removeprefix("faq/")
                ranked.append((confidence * float(choice.get("confidence") or 0), key))
        elif name in INTENT_TOPICS:
            ranked.append((confidence, INTENT_TOPICS[name]))
    keys: list[str] = []
    for _, key in sorted(ranked, key=lambda pair: -pair[0]):
        if key in answers and answers[key].kind == "faq" and key not in keys:
            keys.append(key)
    return keys[:limit] or MENU[:limit]
