"""The REST channel users talk to, at /webhooks/rest/webhook, with what phones actually send.

Rasa's own RestInput is kept as it is (same URL, same JSON); this subclass adds:
- spelling repair of domain terms (bot/plugins/spelling.py): Rasa reads the repaired text, the original is kept
  in the metadata;
- a message that asks several questions, numbered ("1.拖欠工资怎么办？2.车票能补多少？") or not ("…去哪告
  还有就是我还能领交通补助不", bot/plugins/splitting.py), is split and each question answered in turn, under a
  short heading; a long story is classified by its question, the story kept for the calculators;
- empty, punctuation-only or emoji-only input becomes the `bad_input` intent, and input longer than
  MAX_CHARS becomes `bad_input` with problem=too_long; the original text is kept in the metadata so
  the transcript loses nothing;
- a malformed request body gets a polite reply, never a 500.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import unicodedata
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot import protocol
from bot.plugins import graphemes, rasa_speedups, spelling, splitting
from policy_kb import kb as policy
from policy_kb import navigation
from policy_kb.understanding import ads

rasa_speedups.apply()  # Rasa imports this module at start-up (credentials.yml names the channel)

logger = logging.getLogger(__name__)

MAX_CHARS = 500
MAX_QUESTIONS = 3
ORIGINAL_TEXT = "original_text"
STORY_TEXT = "story"  # the whole message, when Rasa is sent only its question
AD_TEXT, AD_KIND = "job_ad", "job_ad_kind"  # a forwarded job ad for action_check_job_ad (actions/job_ads.py)

# "（1）" "(2)" "①" anywhere; "1." "2、" "3：" only at the start or after punctuation/space, and not
# before a digit (so "1.2千" and a phone number stay whole)
_NUMBERED = re.compile(
    r"[（(][1-9１-９][)）]|[①②③④⑤⑥⑦⑧⑨]|(?:^|(?<=[\s，,。；;？?！!]))[1-9１-９][.．、:：](?![0-9])"
)
_LEADING_NUMBER = re.compile(r"^\s*(?:[（(]?[1-9１-９][)）.．、:：]|[①②③④⑤⑥⑦⑧⑨])\s*")
_QUESTION_END = re.compile(r"(?<=[？?])")


# the gateway's request for the turn's summary, and the summary's header (bot/protocol.py)
TURN_INFO_REQUEST, TURN_INFO_HEADER = protocol.TURN_INFO_REQUEST, protocol.TURN_INFO_HEADER


async def turn_info(agent: Any, sender: str, failed: bool) -> dict:
    """Intent, confidence, FAQ key and actions of the sender's latest turn, from the tracker store."""
    info: dict = {"intent": None, "confidence": None, "faq_key": None, "actions": [], "error": failed}
    try:
        tracker = just_saved(agent, sender) or await agent.tracker_store.retrieve(sender)
    except Exception:  # noqa: BLE001 - the reply matters more than its bookkeeping
        logger.exception("could not read the tracker of %s", sender)
        return info
    if tracker is None:
        return info
    parse = tracker.latest_message.parse_data if tracker.latest_message else {}
    intent = parse.get("intent") or {}
    info.update(
        intent=intent.get("name"),
        confidence=intent.get("confidence"),
        faq_key=navigation.selected_faq(parse) if intent.get("name") == "faq" else None,
    )
    if intent.get("name") == "check_job_ad":
        info["checks"] = tracker.get_slot("job_ad_signs") or []
    for event in reversed(tracker.events):
        if event.type_name == "user":
            break
        if event.type_name == "action" and event.action_name not in ("action_listen", None):
            info["actions"].insert(0, event.action_name)
    return info


def just_saved(agent: Any, sender: str) -> Any:
    """The tracker this turn has just saved, when the tracker store keeps it (bot.plugins.tracker_store):
    it spares a second read of the whole conversation from the database."""
    store = getattr(agent.tracker_store, "_tracker_store", agent.tracker_store)  # inside Rasa's fail-safe
    recent = getattr(store, "just_saved", None)
    return recent(sender) if recent else None


def parser(agent: Any, sender: str) -> splitting.Parse | None:
    """The NLU, for splitting a message, unless the sender is in the middle of a calculator: there a
    message is an answer first, and its facts must not be cut apart (checked on the first parse only,
    so a plain short message costs no tracker read)."""
    if agent is None or not hasattr(agent, "parse_message"):
        return None
    checked: list[bool] = []

    async def parse(text: str) -> dict:
        if not checked:
            checked.append(True)
            tracker = await agent.tracker_store.retrieve(sender) if agent.tracker_store else None
            if tracker is not None and tracker.active_loop_name:
                raise splitting.Busy(sender)
        return await agent.parse_message(text)

    return parse


def classify(text: Any) -> str | None:
    """'empty' or 'too_long' when the text cannot be understood as a question, else None."""
    if not isinstance(text, str) or not has_words(text):
        return "empty"
    if len(text) > MAX_CHARS:
        return "too_long"
    return None


def has_words(text: str) -> bool:
    """True when the text has at least one letter or digit (Chinese characters count as letters)."""
    return any(unicodedata.category(ch)[0] in "LN" for ch in text)


def split_questions(text: str) -> list[str]:
    """Split a message into its questions; a single question comes back as a one-item list."""
    text = text.strip()
    parts = [p for p in _NUMBERED.split(text)]
    parts = [p.strip(" ，,。；;") for p in parts if has_words(p)]
    if len(parts) < 2:
        # unnumbered: several full questions each ending with a question mark
        parts = [
            _LEADING_NUMBER.sub("", p).strip(" ，,。；;") for p in _QUESTION_END.split(text) if has_words(p)
        ]
        if len(parts) < 2 or any(len(p) < 5 for p in parts):
            return [text]
    return parts[:MAX_QUESTIONS]


class WorkerRestInput(RestInput):
    """REST channel (name 'rest', so the URL stays /webhooks/rest/webhook)."""

    @classmethod
    def name(cls) -> str:
        return "rest"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> WorkerRestInput:
        # Rasa builds its channels in the main process, before it forks the Sanic workers
        spelling.prepare()  # built once, before the fork and its gc.freeze(), shared by the workers
        rasa_speedups.before_fork()
        return cls()

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = Blueprint("worker_rest_webhook", __name__)

        @webhook.listener("after_server_stop")
        async def close_sessions(app: Any, loop: Any) -> None:
            await rasa_speedups.close_sessions()  # the kept-alive connections to the action server

        @webhook.route("/", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            try:  # Sanic answers a malformed body with a bare 400; a worker's phone gets a reply instead
                body = json.loads(request.body or b"{}")
            except ValueError:
                body = {}
            body = body if isinstance(body, dict) else {}
            sender = str(body.get("sender") or "anonymous")[:128]
            text = body.get("message")
            metadata = body.get("metadata") if isinstance(body.get("metadata"), dict) else {}
            if request.headers.get(TURN_INFO_REQUEST):
                just_saved(request.app.ctx.agent, sender)  # forget a tracker saved by an earlier turn
            agent = request.app.ctx.agent
            replies = await self.handle(on_new_message, sender, text, metadata, parser(agent, sender))
            # no reply at all means the action server failed: never leave the worker with silence
            failed = not replies
            if failed:
                replies = [{"recipient_id": sender, "text": policy.get().render("error")}]
            headers = {}
            if request.headers.get(TURN_INFO_REQUEST):
                info = await turn_info(request.app.ctx.agent, sender, failed)
                headers[TURN_INFO_HEADER] = json.dumps(info, ensure_ascii=True)
            return response.json(replies, headers=headers)

        return webhook

    async def handle(
        self,
        on_new_message: Callable[[UserMessage], Awaitable[Any]],
        sender: str,
        text: Any,
        metadata: dict,
        parse: splitting.Parse | None = None,
    ) -> list[dict]:
        if isinstance(text, str) and not text.startswith("/"):
            kind = ads.recognise(text)  # a forwarded job ad is read whole, up to its own length limit
            if kind and len(text) <= ads.MAX_AD_CHARS:
                ad = {**metadata, AD_KIND: kind, AD_TEXT: text if kind == "ad" else ""}
                return await self._ask(on_new_message, sender, "/check_job_ad", ad)
        problem = classify(text)
        if problem:
            original = text if isinstance(text, str) else ""
            payload = f'/bad_input{{"problem":"{problem}"}}'
            return await self._ask(on_new_message, sender, payload, {**metadata, ORIGINAL_TEXT: original})
        original = text
        if not text.startswith("/"):
            text = spelling.repair(text)
        if text != original:
            metadata = {**metadata, ORIGINAL_TEXT: original}
        questions = split_questions(text)
        if len(questions) == 1:
            turns = await splitting.plan(text, parse) if parse and not text.startswith("/") else []
            if len(turns) == 1 and turns[0].story:
                story = {**metadata, STORY_TEXT: turns[0].story, ORIGINAL_TEXT: original}
                return await self._ask(on_new_message, sender, turns[0].text, story)
            if len(turns) < 2:
                return await self._ask(on_new_message, sender, text, metadata)
            questions = [turn.text for turn in turns]
        replies: list[dict] = []
        for number, question in enumerate(questions, start=1):
            answers = await self._ask(on_new_message, sender, question, {**metadata, ORIGINAL_TEXT: original})
            if answers:
                heading = graphemes.cut(question, 30, tail="…")
                answers[0] = {
                    **answers[0],
                    "text": f"【第{number}问】{heading}\n" + (answers[0].get("text") or ""),
                }
            replies += answers
        return replies

    async def _ask(
        self, on_new_message: Callable[[UserMessage], Awaitable[Any]], sender: str, text: str, metadata: dict
    ) -> list[dict]:
        collector = CollectingOutputChannel()
        message = UserMessage(text, collector, sender, input_channel=self.name(), metadata=metadata or None)
        try:
            await on_new_message(message)
        except asyncio.CancelledError:
            logger.error("message handling timed out for %s", sender)
        except Exception:  # noqa: BLE001 - the worker still gets a reply; the error is logged
            logger.exception("an exception occurred while handling a message from %s", sender)
        return collector.messages
