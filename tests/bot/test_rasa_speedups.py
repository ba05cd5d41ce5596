"""The cached action-result validation accepts and rejects exactly what Rasa's own does."""

from __future__ import annotations

import asyncio

import jsonschema
import pytest
from rasa.core.actions.action import RemoteAction

from bot.plugins import rasa_speedups

GOOD = {"events": [{"event": "slot", "name": "ticket", "value": 680}], "responses": [{"text": "好"}]}
BAD = [{"events": "not a list"}, {"responses": ["not an object"]}, {"events": [{"no_event_key": 1}]}]


def test_valid_result_passes():
    assert rasa_speedups.validate_action_result(None, GOOD) is True


@pytest.mark.parametrize("result", BAD)
def test_invalid_results_fail_like_rasa(result):
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(result, RemoteAction.action_response_format_spec())
    with pytest.raises(jsonschema.ValidationError, match="Failed to validate Action server response"):
        rasa_speedups.validate_action_result(None, result)


def test_applied_when_the_channel_loads():
    import bot.plugins.channels  # noqa: F401 - importing the channel applies the patch, as Rasa does at start-up

    assert RemoteAction._validate_action_result is rasa_speedups.validate_action_result


def test_action_calls_reuse_one_connection():
    """Two calls to the action endpoint travel over one kept-alive connection (Rasa opened one each)."""
    from aiohttp import web
    from rasa.utils.endpoints import EndpointConfig

    rasa_speedups.apply()
    clients: list[tuple] = []

    async def webhook(request: web.Request) -> web.Response:
        clients.append(request.transport.get_extra_info("peername"))
        return web.json_response({"events": [], "responses": []})

    async def scenario() -> list:
        app = web.Application()
        app.router.add_post("/webhook", webhook)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]
        endpoint = EndpointConfig(f"http://127.0.0.1:{port}/webhook")
        replies = [await endpoint.request(json={"next_action": "action_answer_faq"}) for _ in range(3)]
        [(_, session)] = [v for v in rasa_speedups._SESSIONS.values() if v[0] is asyncio.get_running_loop()]
        await rasa_speedups.close_sessions()  # as the channel does when the server stops
        assert session.closed
        await runner.cleanup()
        return replies

    replies = asyncio.run(scenario())
    assert replies == [{"events": [], "responses": []}] * 3
    assert len(clients) == 3 and len(set(clients)) == 1


def test_the_channel_prepares_the_main_process_for_forking():
    """Rasa builds the channel before forking its workers: jieba's dictionary is loaded and frozen there."""
    import gc

    import jieba

    from bot.plugins.channels import WorkerRestInput

    try:
        channel = WorkerRestInput.from_credentials(None)
        assert isinstance(channel, WorkerRestInput) and channel.name() == "rest"
        assert jieba.dt.initialized and len(jieba.dt.FREQ) > 300_000
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()


def test_event_classes_resolve_as_rasa_resolves_them():
    from rasa.shared.core.events import Event
    from rasa.shared.utils.common import all_subclasses

    names = {cls.type_name for cls in all_subclasses(Event)}
    assert {"user", "action", "slot", "session_started", "active_loop"} <= names
    for name in names:
        assert rasa_speedups.resolve_by_type(name) is rasa_speedups._STOCK_RESOLVE(name), name
    assert rasa_speedups.resolve_by_type("topic") is None
    assert rasa_speedups.resolve_by_type("no-such-event", default=Event) is Event
    with pytest.raises(ValueError, match="Unknown event name 'no-such-event'"):
        rasa_speedups.resolve_by_type("no-such-event")


def test_reading_a_tracker_walks_the_event_classes_no_more(monkeypatch):
    """py-spy: 5% of a worker's CPU in walking Event's subclasses once for every event read."""
    from rasa.shared.core import events
    from rasa.shared.utils import common

    import bot.plugins.channels  # noqa: F401 - the patches as Rasa has them at start-up

    serialised = [
        events.ActionExecuted("action_listen").as_dict(),
        events.UserUttered("老板拖欠工资怎么办", {"name": "faq", "confidence": 0.9}).as_dict(),
        events.SlotSet("months", 4).as_dict(),
    ] * 20
    events.deserialise_events(serialised)  # the table is built here
    walks = []
    real = common.all_subclasses
    monkeypatch.setattr(common, "all_subclasses", lambda cls: walks.append(cls) or real(cls))
    back = events.deserialise_events(serialised)
    assert [type(event) for event in back[:3]] == [events.ActionExecuted, events.UserUttered, events.SlotSet]
    assert walks == []


def test_a_new_event_class_is_found():
    from rasa.shared.core.events import Event, SlotSet

    rasa_speedups.resolve_by_type("slot")  # the table exists

    class LateEvent(SlotSet):
        type_name = "late_event_for_the_test"

    assert rasa_speedups.resolve_by_type("late_event_for_the_test") is LateEvent
    assert issubclass(LateEvent, Event)


def _replies() -> list:
    """Replies of every event type our actions send, and broken ones of each kind."""
    from rasa.shared.core.events import (
        ActionExecuted,
        ActiveLoop,
        AllSlotsReset,
        FollowupAction,
        Restarted,
        SessionStarted,
        SlotSet,
        UserUttered,
    )

    good_events = [
        SlotSet("months", 4).as_dict(),
        SlotSet("requested_slot", None).as_dict(),
        ActiveLoop("transport_form").as_dict(),
        ActiveLoop(None).as_dict(),
        FollowupAction("action_listen").as_dict(),
        AllSlotsReset().as_dict(),
        Restarted().as_dict(),
        SessionStarted().as_dict(),
        ActionExecuted("utter_greet").as_dict(),
        UserUttered("你好", {"name": "greet", "confidence": 0.9}).as_dict(),
        {"event": "bot", "text": "好的", "data": {"buttons": [{"title": "是", "payload": "/affirm"}]}},
    ]
    good = [{"events": [event], "responses": [{"text": "好"}]} for event in good_events]
    good.append({"events": good_events, "responses": []})
    good.append({"events": [], "responses": [{"text": "好", "buttons": []}]})
    bad = [
        {"events": [{"event": "no_such_event"}]},
        {"events": [{"event": "slot", "name": 5, "value": 1}]},
        {"events": [{"event": "slot", "name": "months", "value": 1, "timestamp": "today"}]},
        {"events": [{"event": 3}]},
        {"events": ["slot"]},
        {"events": [SlotSet("months", 4).as_dict(), {"event": "active_loop", "metadata": "x"}]},
        {"events": [{"event": "user", "text": 5}]},
        "not an object",
        *BAD,
    ]
    return [(reply, True) for reply in good] + [(reply, False) for reply in bad]


@pytest.mark.parametrize(("reply", "expected"), _replies())
def test_the_split_validation_gives_rasa_verdict(reply, expected):
    stock = jsonschema.validators.validator_for(RemoteAction.action_response_format_spec())(
        RemoteAction.action_response_format_spec()
    )
    assert stock.is_valid(reply) is expected  # the corpus is right about Rasa's schema
    assert rasa_speedups._valid_by_event(reply) is expected
    if not expected:
        with pytest.raises(jsonschema.ValidationError, match="Failed to validate Action server response"):
            rasa_speedups.validate_action_result(None, reply)


def test_a_valid_reply_is_not_checked_against_every_event_type(monkeypatch):
    """py-spy (#15): 6% of a worker's CPU in jsonschema trying all event types' branches per event."""
    monkeypatch.setattr(rasa_speedups, "_STOCK_VALIDATE", lambda *_: pytest.fail("the full validation ran"))
    assert rasa_speedups.validate_action_result(None, GOOD) is True


@pytest.fixture
def restore_patches():
    yield
    rasa_speedups.apply()  # as the channel left them


def test_apply_refuses_a_rasa_release_it_was_not_tested_with(monkeypatch, restore_patches):
    import rasa

    monkeypatch.setattr(rasa, "__version__", "3.7.0")
    with pytest.raises(rasa_speedups.UntestedRasa, match=r"tested with Rasa 3\.6\.21, not 3\.7\.0"):
        rasa_speedups.apply()
    monkeypatch.setenv("HUIZE_SPEEDUPS", "0")  # all off: any release runs, on Rasa's own code
    assert rasa_speedups.apply() == []
    for name, (owner, attribute, _) in rasa_speedups.PATCHES.items():
        assert owner.__dict__[attribute] is rasa_speedups.ORIGINALS[name], name


@pytest.mark.parametrize("name", sorted(rasa_speedups.PATCHES))
def test_each_patch_has_its_own_switch(name, monkeypatch, restore_patches):
    monkeypatch.setenv(f"HUIZE_SPEEDUP_{name}", "0")
    assert name not in rasa_speedups.apply()
    for other, (owner, attribute, replacement) in rasa_speedups.PATCHES.items():
        expected = rasa_speedups.ORIGINALS[other] if other == name else replacement
        assert owner.__dict__[attribute] is expected, other


@pytest.mark.parametrize(("reply", "expected"), _replies())
def test_the_validation_agrees_with_rasa_saved_original(reply, expected):
    original = rasa_speedups.ORIGINALS["VALIDATION"]
    if expected:
        assert original(RemoteAction, reply) is True
        assert rasa_speedups.validate_action_result(None, reply) is True
    else:
        with pytest.raises(jsonschema.ValidationError) as theirs:
            original(RemoteAction, reply)
        with pytest.raises(jsonschema.ValidationError) as ours:
            rasa_speedups.validate_action_result(None, reply)
        assert ours.value.message == theirs.value.message  # the same error, word for word


def test_event_classes_agree_with_rasa_saved_original():
    from rasa.shared.core.events import Event
    from rasa.shared.utils.common import all_subclasses

    original = rasa_speedups.ORIGINALS["EVENTS"].__func__
    for name in {cls.type_name for cls in all_subclasses(Event)} | {"topic"}:
        assert rasa_speedups.resolve_by_type(name) is original(name), name


def test_the_fast_loader_refuses_a_model_with_a_variable_not_in_the_checkpoint(tmp_path):
    """expect_partial() alone would let a variable keep its random initial value: a model that predicts
    noise without an error. The loader asserts every variable it has was restored."""
    import numpy as np
    import tensorflow as tf

    class Small(tf.keras.Model):
        def __init__(self, extra: bool = False):
            super().__init__()
            self.dense = tf.keras.layers.Dense(2)
            self.extra = tf.keras.layers.Dense(2) if extra else None

        def call(self, inputs):
            out = self.dense(inputs)
            return self.extra(out) if self.extra is not None else out

        def run_inference(self, example):
            return self(example)

    example = np.ones((1, 3), dtype="float32")
    saved = Small()
    saved(example)
    saved.save_weights(str(tmp_path / "weights"))
    same = rasa_speedups.load_for_inference(Small, str(tmp_path / "weights"), None, example)
    assert np.allclose(same(example), saved(example))  # restored, not re-initialised
    with pytest.raises(AssertionError):
        rasa_speedups.load_for_inference(Small, str(tmp_path / "weights"), None, example, False, True)
