"""Measured fixes inside Rasa 3.6, applied when Rasa loads our REST channel (bot.channels).

1. py-spy on the Rasa server under load (10 concurrent conversations) showed 41% of its CPU in
   `RemoteAction._validate_action_result`: `jsonschema.validate()` re-checks the *schema* and builds a
   new validator on every action-server reply. The same validation with a validator built once per
   schema gives the same result (and the same ValidationError) for a fraction of the cost.
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
"""

from __future__ import annotations

import asyncio
import gc
from functools import lru_cache
from typing import Any

import aiohttp
import jsonschema
from rasa.core.actions import action
from rasa.utils import endpoints
from rasa.utils.tensorflow import models

KEEPALIVE_S = 2.0

_STOCK_LOAD = models.RasaModel.load.__func__


@lru_cache(maxsize=1)
def _validator() -> jsonschema.protocols.Validator:
    schema = action.RemoteAction.action_response_format_spec()
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def validate_action_result(self, result: dict) -> bool:
    try:
        _validator().validate(result)
        return True
    except jsonschema.ValidationError as error:
        error.message += (
            ". Failed to validate Action server response from API, make sure your response from the "
            "Action endpoint is valid."
        )
        raise  # as Rasa does: the ValidationError itself


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
    model.load_weights(model_file_name).expect_partial()
    model.run_inference(predict_data_example)  # creates (and so restores) every variable, traces predict
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


def before_fork() -> None:
    """Work done once in Rasa's main process, shared copy-on-write by its forked workers."""
    import jieba

    jieba.initialize()  # the default dictionary; each worker adds the user dictionary when it loads the model
    gc.freeze()


def apply() -> None:
    action.RemoteAction._validate_action_result = validate_action_result
    models.RasaModel.load = classmethod(load_for_inference)
    endpoints.EndpointConfig.session = shared_session
