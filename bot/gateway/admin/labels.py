"""Chinese names for what the transcripts store as codes: intents, FAQ keys, channels, button payloads.

Staff read Chinese; the codes stay next to the names (a title attribute, small grey text) for whoever
edits the training data. Names come from policy_kb where it has them: the answer of the same key
(faq/unpaid_wages → 拖欠工资, greet → 你好), a calculator's topic (check_transport_subsidy → 算交通补助) and
the buttons' titles. The few intents and buttons that have no answer of their own are named here. A code
without a name is shown as it is.

Old rows of the chat page hold a tapped button's payload as the text (`/faq{"topic":"unpaid_wages"}`);
newer ones hold its title and put the payload in messages.payload.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache

from bot.gateway.admin.catalog import FAQ_PREFIX
from policy_kb import kb as policy
from policy_kb import navigation as topics

# intents whose name is not an answer's title
INTENTS = {
    "faq": "政策问答",
    "affirm": "回答“是”",
    "deny": "回答“不是”",
    "inform": "回答问题",
    "stop": "不算了",
    "continue_calc": "接着算",
    "ask_details": "看详细",
    "check_job_ad": "招工核查",
}
ANSWER_OF = {"nlu_fallback": "fallback"}  # Rasa's fallback intent says what policy_kb's fallback answer says
# the buttons of the calculators (actions/forms.py, actions/calculators.py) that are no answer's title
BUTTONS = {"affirm": "是", "deny": "不是", "stop": "不算了", "continue_calc": "接着算"}
CHANNELS = {"web": "网页", "wechat": "微信"}
FEEDBACK = {"down": "差评", "up": "好评"}  # words: not every staff PC has an emoji font
PAYLOAD = re.compile(r"^/(\w+)(\{.*\})?$", re.S)


@lru_cache(maxsize=1)
def _titles() -> dict[str, str]:
    return {key: answer.title for key, answer in policy.get().answers.items()}


@lru_cache(maxsize=1)
def _calculator_buttons() -> dict[str, str]:
    """payload → title of the buttons that start a calculator (the first, when two share a payload)."""
    found: dict[str, str] = {}
    for title, payload in topics.CALCULATORS.values():
        found.setdefault(payload.removeprefix("/"), title)
    return found


def intent(name: str | None) -> str:
    if not name:
        return "—"
    if name in INTENTS:
        return INTENTS[name]
    if name in topics.INTENT_TOPICS:
        return "算" + _titles().get(topics.INTENT_TOPICS[name], name)
    key = name.removeprefix(FAQ_PREFIX)
    return _titles().get(ANSWER_OF.get(key, key), name)


def job_ad_sign(key: str) -> str:
    """A job-ad warning sign's title (policy_kb/data/job_ads.yml), or the key when unknown."""
    from policy_kb import job_ads

    found = {sign.key: sign.title for sign in job_ads.data()["signs"]}
    return found.get(key, key)


def channel(name: str) -> str:
    return CHANNELS.get(name, name)


def feedback(value: str | None) -> str:
    return FEEDBACK.get(value, value) if value else ""


def is_payload(text: str) -> bool:
    return bool(PAYLOAD.match(text or ""))


def button(payload: str) -> str | None:
    """The title of the button that sends this payload, or None when it is no button's payload."""
    found = PAYLOAD.match(payload or "")
    if not found:
        return None
    name, raw = found.groups()
    try:
        entities = json.loads(raw) if raw else {}
    except ValueError:
        entities = {}
    topic = entities.get("topic") if isinstance(entities, dict) else None
    if name == "faq":
        return _titles().get(topic) if topic else None
    if name == "ask_details":
        return policy.DETAILS_BUTTON
    return BUTTONS.get(name) or _calculator_buttons().get(name)


def shown(text: str, payload: str | None = None) -> tuple[str, str | None]:
    """(what the worker saw, the button's payload or None) of a user message, old rows or new."""
    if payload:
        return text, payload
    title = button(text)
    return (title, text) if title else (text, None)
