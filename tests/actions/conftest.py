from __future__ import annotations

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher


def make_tracker(parse_data: dict, sender: str = "tester", slots: dict | None = None) -> Tracker:
    """A tracker whose latest message carries the given NLU parse result."""
    parse_data = {"text": "", "entities": [], **parse_data}
    return Tracker.from_dict(
        {
            "sender_id": sender,
            "slots": slots or {},
            "latest_message": parse_data,
            "events": [],
            "paused": False,
            "followup_action": None,
            "active_loop": {},
            "latest_action_name": "action_listen",
        }
    )


def selector(key: str, *others: tuple[str, float], confidence: float = 0.9) -> dict:
    ranking = [{"intent_response_key": f"faq/{key}", "confidence": confidence}]
    ranking += [{"intent_response_key": f"faq/{k}", "confidence": c} for k, c in others]
    response = {"intent_response_key": f"faq/{key}", "confidence": confidence}
    return {"faq": {"response": response, "ranking": ranking}}


@pytest.fixture
def dispatcher():
    return CollectingDispatcher()
