"""The end-to-end tests' conversation with the real Rasa server and action server of the session."""

from __future__ import annotations

import pytest

from tests.e2e.test_forms import Conversation


@pytest.fixture
def chat(stack):
    return Conversation(stack)
