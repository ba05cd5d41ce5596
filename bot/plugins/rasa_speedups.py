"""Measured fixes inside Rasa 3.6, applied when Rasa loads our REST channel (bot.plugins.channels).

1. py-spy on the Rasa server under load (10 concurrent conversations) showed 41% of its CPU in
   `RemoteAction._validate_action_result`: `jsonschema.validate()` re-checks the *schema*, builds a new
   validator and tries every event type's branch for every event of every action-server reply. A valid
   reply is now checked per event against its own type's branch with validators built once; an invalid
   one goes to Rasa's own function, for its exact error (#15).
2. cProfile of the model load showed 38 of its 58 s in `RasaModel.load` running one *training* step
   on a fake example (tracing the gradient and optimizer graph) only to create the variables before
   `load_weights`. For inference, the weights are restored into the variables as the first prediction
   creates them (TensorFlow's deferred restoration); the optimizer state in the checkpoint is not
   needed. Same predictions, loaded in about a third of the time and ~550 MB less peak memory
   (tests/rasa/test_fast_load.py compares both loaders on the same messages).
3. Every call to the action server opened a new aiohttp session and TCP connection (`EndpointConfig.
   session()` is entered and closed per request): 5% of Rasa's CPU under load. One session per event
   loop and endpoint settings now keeps connections alive between calls; idle ones are dropped after
   KEEPALIVE_S, before the action server's own keep-alive timeout (5 s) closes them under us.
4. Rasa's Sanic workers are forked from the main process after the imports. `before_fork()` (called
   by our channel, which Rasa builds in the main process) also loads jieba's dictionary there (77 MB
   of Python objects each worker would otherwise build for itself) and moves everything so far out of
   the garbage collector's sight (`gc.freeze()`), so the collector's passes in a worker do not write to
   — and so copy — the pages the workers share.
5. py-spy at 10 concurrent (#15): 5% of a worker's CPU in `Event.resolve_by_type`, which walks every
   subclass of Event, with an `inspect.isabstract` check each, for every event of every tracker read.
   The classes by type name are now looked up in a table built from the same walk, in the same order
   (the first class with the name wins, as in Rasa's loop), rebuilt when a new Event subclass appears.

`apply()` refuses a Rasa release not in TESTED_RASA; each patch has its own switch
(HUIZE_SPEEDUP_VALIDATION, _LOADER, _SESSIONS, _EVENTS =0), HUIZE_SPEEDUPS=0 switches all off. The tests
compare each patch with Rasa's saved original (ORIGINALS).
"""

from __future__ import annotations

import asyncio
import copy
import gc
import os
from functools import lru_cache
from typing import Any

import aiohttp
import jsonschema
from rasa.core.actions import action
from rasa.shared.core import events
from rasa.shared.utils import common
from rasa.utils import endpoints
from rasa.utils.tensorflow import models

KEEPALIVE_S = 2.0

_STOCK_LOAD = models.RasaModel.load.__func__


_STOCK_VALIDATE = action.RemoteAction._validate_action_result


@lru_cache(maxsize=1)
def _by_event() -> tuple[jsonschema.protocols.Validator, dict[str, jsonschema.protocols.Validator]] | None:
    """The reply's schema split in two: the reply without its events, and one validator per event name.
    Rasa's schema gives each event a `oneOf` of one branch per event type, told apart by a `const` on
    "event", so jsonschema tries every branch for every event (py-spy, #15: 6% of a worker's CPU) although
    only the branch of the event's own name can match. None when the schema is not of that shape."""
    schema = copy.deepcopy(action.RemoteAction.action_response_format_spec())
    cls = jsonschema.validators.validator_for(schema)
    items = schema["properties"]["events"]["items"]
    branches = items.pop("oneOf", None)
    if not branches:
        return None
    by_name: dict[str, jsonschema.protocols.Validator] = {}
    for branch in branches:
        name = branch.get("properties", {}).get("event", {}).get("const")
        if not isinstance(name, str) or name in by_name:
            return None
        by_name[name] = cls({**items, "allOf": [branch]})
    schema["properties"]["events"]["items"] = {}
    return cls(schema), by_name


def _valid_by_event(result: Any) -> bool:
    split = _by_event()
    if split is None:
        return False
    reply, by_name = split
    if not reply.is_valid(result):
        return False
    for event in result.get("events") or []:
        name = event.get("event") if isinstance(event, dict) else None
        if not (isinstance(name, str) and name in by_name and by_name[name].is_valid(event)):
            return False
    return True


def validate_action_result(self, result: dict) -> bool:
    if _valid_by_event(result):  # the same verdict for a valid reply, without the other branches
        return True
    # invalid (or a schema of another shape): Rasa's own validation, for its exact error (rare: slow)
    return _STOCK_VALIDATE(self if self is not None else action.RemoteAction, result)


def load_for_inference(
    cls: type[models.RasaModel],
    model_file_name: str,
    model_data_example: object,
    predict_data_example: object = None,
    finetune_mode: bool = False,
    *args: object,
    **kwargs: object,
) -> models.RasaModel:
    """RasaModel.load without the fake training step, when the model is loaded to predict."""
    if finetune_mode or predict_data_example is None:  # training goes on: it needs the optimizer
        return _STOCK_LOAD(
            cls, model_file_name, model_data_example, predict_data_example, finetune_mode, *args, **kwargs
        )
    model = cls(*args, **kwargs)
    # restored as the variables are created; the optimizer's slots in the checkpoint stay unused
    status = model.load_weights(model_file_name)
    status.expect_partial()  # no warning about those slots
    model.run_inference(predict_data_example)  # creates (and so restores) every variable, traces predict
    # every variable the model now has must have come from the checkpoint: one left at its random
    # initial value would give random scores without an error (expect_partial alone would hide it)
    status.assert_existing_objects_matched()
    return model


class _Borrowed:
    """`async with` on a shared session: hands it out, leaves it open."""

    def __init__(self, session: aiohttp.ClientSession):
        self.session = session

    async def __aenter__(self) -> aiohttp.ClientSession:
        return self.session

    async def __aexit__(self, *_: Any) -> None:
        return None


_SESSIONS: dict[tuple, tuple[asyncio.AbstractEventLoop, aiohttp.ClientSession]] = {}


def shared_session(self: endpoints.EndpointConfig) -> _Borrowed:
    """EndpointConfig.session(), reused: one open session per event loop and endpoint settings."""
    loop = asyncio.get_running_loop()
    auth = (self.basic_auth or {}).get("username"), (self.basic_auth or {}).get("password")
    key = (id(loop), tuple(sorted((self.headers or {}).items())), auth)
    owner, session = _SESSIONS.get(key, (None, None))
    if session is None or session.closed or owner is not loop:  # a new loop may reuse an old one's id
        session = aiohttp.ClientSession(
            headers=self.headers,
            auth=aiohttp.BasicAuth(*auth) if auth[0] else None,
            timeout=aiohttp.ClientTimeout(total=endpoints.DEFAULT_REQUEST_TIMEOUT),
            connector=aiohttp.TCPConnector(keepalive_timeout=KEEPALIVE_S),
        )
        _SESSIONS[key] = (loop, session)
    return _Borrowed(session)


async def close_sessions() -> None:
    """Close the shared sessions of the running event loop (when the server stops)."""
    loop = asyncio.get_running_loop()
    for key, (owner, session) in list(_SESSIONS.items()):
        if owner is loop:
            del _SESSIONS[key]
            await session.close()


_STOCK_RESOLVE = events.Event.resolve_by_type
_event_classes: dict[str, type] = {}
_event_classes_seen = [-1]  # the number of direct Event subclasses the table was built with


def _event_class_table() -> dict[str, type]:
    direct = len(events.Event.__subclasses__())
    if direct != _event_classes_seen[0]:
        table: dict[str, type] = {}
        for cls in common.all_subclasses(events.Event):
            table.setdefault(cls.type_name, cls)
        _event_classes.clear()
        _event_classes.update(table)
        _event_classes_seen[0] = direct
    return _event_classes


def resolve_by_type(type_name: str, default: type | None = None) -> type | None:
    """`Event.resolve_by_type` from a table instead of a walk of the class tree per event."""
    found = _event_class_table().get(type_name)
    if found is not None:
        return found
    return _STOCK_RESOLVE(type_name, default)  # topic, the default, or Rasa's own ValueError


def before_fork() -> None:
    """Work done once in Rasa's main process, shared copy-on-write by its forked workers."""
    import jieba

    jieba.initialize()  # the default dictionary; each worker adds the user dictionary when it loads the model
    gc.freeze()


# The Rasa releases these patches were tested with (tests/bot/test_rasa_speedups.py,
# tests/rasa/test_fast_load.py). Each replaces a function of Rasa's internals, which change between
# releases without notice: another release must be tested and added here first.
TESTED_RASA = ("3.6.21",)
# one environment variable per patch: HUIZE_SPEEDUP_<NAME>=0 leaves Rasa's own function in place;
# HUIZE_SPEEDUPS=0 all of them (and then any Rasa release runs)
PATCHES: dict[str, tuple[object, str, object]] = {
    "VALIDATION": (action.RemoteAction, "_validate_action_result", validate_action_result),
    "LOADER": (models.RasaModel, "load", classmethod(load_for_inference)),
    "SESSIONS": (endpoints.EndpointConfig, "session", shared_session),
    "EVENTS": (events.Event, "resolve_by_type", staticmethod(resolve_by_type)),
}
ORIGINALS = {name: owner.__dict__[attribute] for name, (owner, attribute, _) in PATCHES.items()}
_OFF = ("0", "off", "false", "no")


class UntestedRasa(RuntimeError):
    """The installed Rasa is not one these patches were tested with."""


def enabled(name: str) -> bool:
    if os.environ.get("HUIZE_SPEEDUPS", "1").lower() in _OFF:
        return False
    return os.environ.get(f"HUIZE_SPEEDUP_{name}", "1").lower() not in _OFF


def apply() -> list[str]:
    """Replace the switched-on functions of Rasa with ours; the names applied. Refuses a Rasa release
    the patches were not tested with, unless every patch is switched off."""
    import rasa

    wanted = [name for name in PATCHES if enabled(name)]
    if wanted and rasa.__version__ not in TESTED_RASA:
        raise UntestedRasa(
            f"bot/plugins/rasa_speedups.py patches Rasa's internals and was tested with Rasa "
            f"{', '.join(TESTED_RASA)}, not {rasa.__version__}. Run tests/bot/test_rasa_speedups.py and "
            "tests/rasa/test_fast_load.py with it and add it to TESTED_RASA, or start with HUIZE_SPEEDUPS=0."
        )
    for name, (owner, attribute, replacement) in PATCHES.items():
        setattr(owner, attribute, replacement if name in wanted else ORIGINALS[name])
    return wanted
