"""action_check_job_ad: the warning signs of a forwarded recruitment post (#17).

The REST channel (bot/plugins/channels.py) recognises the post and sends /check_job_ad with the post's
text in the message metadata (AD_TEXT), or with AD_KIND "about_ad" for "这个靠谱不" about the post sent
before, or "link" for a bare link or image. The check itself is data in policy_kb (policy_kb/job_ads.py).
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from policy_kb import job_ads

AD_TEXT = "job_ad"  # the same keys as bot/plugins/channels.py
AD_KIND = "job_ad_kind"
SIGNS_SLOT = "job_ad_signs"


def _metadata(event_or_message: dict) -> dict:
    return event_or_message.get("metadata") or {}


def earlier_ad(tracker: Tracker) -> str | None:
    """The post of the last job-ad check before this message, when there was one in this session."""
    users = [event for event in tracker.events if event.get("event") == "user"]
    for event in reversed(users[:-1]):
        text = _metadata(event).get(AD_TEXT)
        if isinstance(text, str) and text.strip():
            return text
    return None


class ActionCheckJobAd(Action):
    def name(self) -> str:
        return "action_check_job_ad"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list:
        metadata = _metadata(tracker.latest_message)
        kind, text = metadata.get(AD_KIND), metadata.get(AD_TEXT)
        earlier = False
        if kind == "about_ad" or not isinstance(text, str) or not text.strip():
            text, earlier = earlier_ad(tracker), True
        if kind == "link" or not text:
            dispatcher.utter_message(text=job_ads.send_text_reply())
            return [SlotSet(SIGNS_SLOT, None)]
        result = job_ads.check(text)
        dispatcher.utter_message(text=job_ads.reply(result, earlier=earlier))
        return [SlotSet(SIGNS_SLOT, result.keys)]
