"""The cached action-result validation accepts and rejects exactly what Rasa's own does."""

from __future__ import annotations

import asyncio

import jsonschema
import pytest
from rasa.core.actions.action import RemoteAction

from bot import rasa_speedups

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
    import bot.channels  # noqa: F401 - importing the channel applies the patch, as Rasa does at start-up

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

    from bot.channels import WorkerRestInput

    try:
        channel = WorkerRestInput.from_credentials(None)
        assert isinstance(channel, WorkerRestInput) and channel.name() == "rest"
        assert jieba.dt.initialized and len(jieba.dt.FREQ) > 300_000
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
