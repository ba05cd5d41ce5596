"""How a worker moves between answers (data/navigation.yml), and which FAQ answer a Rasa parse result
picked. One place for both, read by the actions, the REST channel, the gateway and the evaluation."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from policy_kb import kb as policy

_DATA = yaml.safe_load((Path(__file__).parent / "data" / "navigation.yml").read_text(encoding="utf-8"))

MENU: list[str] = list(_DATA["menu"])
INTENT_TOPICS: dict[str, str] = dict(_DATA["intent_topics"])
OVERVIEWS: dict[str, list[str]] = {key: list(value) for key, value in _DATA["overviews"].items()}
RELATED: dict[str, list[str]] = {key: list(value) for key, value in _DATA["related"].items()}
CALCULATORS: dict[str, tuple[str, str]] = {
    key: (title, payload) for key, (title, payload) in _DATA["calculators"].items()
}


def topic_button(key: str) -> dict[str, str]:
    """A quick-reply chip that asks for one FAQ answer, whatever the NLU would make of its title."""
    return {"title": policy.get().answers[key].title, "payload": f'/faq{{"topic":"{key}"}}'}


def menu_buttons() -> list[dict[str, str]]:
    return [topic_button(key) for key in MENU]


# Rasa's ResponseSelector reports under the retrieval intent's name ("faq") when the pipeline names it,
# under "default" when not; its keys are "faq/<answer key>".


def _selector(parse: dict[str, Any]) -> dict[str, Any]:
    found = parse.get("response_selector") or {}
    return found.get("faq") or found.get("default") or {}


def selected_faq(parse: dict[str, Any]) -> str | None:
    """The selector's pick as Rasa names it ("faq/unpaid_wages"), or None."""
    return (_selector(parse).get("response") or {}).get("intent_response_key") or None


def faq_ranking(parse: dict[str, Any]) -> list[tuple[str, float]]:
    """The selector's ranking: (answer key without "faq/", confidence), best first."""
    return [
        ((choice.get("intent_response_key") or "").removeprefix("faq/"), float(choice.get("confidence") or 0))
        for choice in _selector(parse).get("ranking") or []
    ]
