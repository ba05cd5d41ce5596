"""The cached action-result validation accepts and rejects exactly what Rasa's own does."""

from __future__ import annotations

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
