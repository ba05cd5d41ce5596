"""The fast model loader (bot.plugins.rasa_speedups) predicts exactly what Rasa's own loader predicts.

Both loaders load the trained model in this process; DIET's intents and the ResponseSelector's FAQ
keys must agree on the same inputs (the dialogue has no TensorFlow model since TEDPolicy went, #15). A weight left unrestored would give
random scores and fail here.
"""

from __future__ import annotations

import asyncio

import pytest
from rasa.utils.tensorflow import models

from bot.plugins import rasa_speedups
from bot.tools import train
from tests.e2e.questions import QUESTIONS

pytestmark = pytest.mark.slow

MESSAGES = [
    *QUESTIONS.values(),
    "帮我算下交通补助",
    "我在宣威干了4个月",
    "工资拖了半年了还能仲裁不",
    "你好",
    "谢谢",
    "明天会下雨吗",
    "算了",
]


def load(model, loader) -> object:
    saved = models.RasaModel.load
    models.RasaModel.load = classmethod(loader)
    try:
        return train.load_agent(model)  # as a fresh Rasa server loads it (jieba's dictionary too)
    finally:
        models.RasaModel.load = saved


def predictions(agent) -> list[dict]:
    async def run() -> list[dict]:
        results = []
        for text in MESSAGES:
            parse = await agent.parse_message(text)
            selector = parse.get("response_selector", {}).get("faq", {}).get("response", {})
            results.append(
                {
                    "intent": parse["intent"]["name"],
                    "confidence": parse["intent"]["confidence"],
                    "faq_key": selector.get("intent_response_key"),
                    "faq_confidence": selector.get("confidence"),
                }
            )
        return results

    return asyncio.run(run())


def test_fast_loader_predicts_what_the_stock_loader_predicts(model):
    stock = predictions(load(model, rasa_speedups._STOCK_LOAD))
    fast = predictions(load(model, rasa_speedups.load_for_inference))
    assert len(stock) == len(fast) == len(MESSAGES)
    for text, a, b in zip(MESSAGES, stock, fast, strict=True):
        assert (a["intent"], a["faq_key"]) == (b["intent"], b["faq_key"]), text
        assert a["confidence"] == pytest.approx(b["confidence"], abs=1e-5), text
        assert a["faq_confidence"] == pytest.approx(b["faq_confidence"], abs=1e-5), text
    # the inputs are not all alike: the comparison covers several intents and FAQ keys
    assert len({r["intent"] for r in fast}) >= 4
    assert len({r["faq_key"] for r in fast if r["faq_key"]}) >= 15


def test_applied_when_the_channel_loads():
    import bot.plugins.channels  # noqa: F401 - as Rasa does at start-up

    assert models.RasaModel.load.__func__ is rasa_speedups.load_for_inference


def test_the_dialogue_runs_no_tensorflow_policy(model):
    """#15: every flow is a rule or a form, and TEDPolicy ran two or three times per message (18% of a
    worker's CPU under load) to predict what the rules already decided. The trained model's prediction
    graph has only the rule and memoization policies; the conversation tests pass without TED."""
    from rasa.core.policies.policy import Policy
    from rasa.core.policies.ted_policy import TEDPolicy
    from rasa.engine.storage.local_model_storage import LocalModelStorage

    schema = LocalModelStorage.metadata_from_archive(model).predict_schema
    policies = {node.uses.__name__ for node in schema.nodes.values() if issubclass(node.uses, Policy)}
    assert policies == {"MemoizationPolicy", "RulePolicy"}
    assert not any(issubclass(node.uses, TEDPolicy) for node in schema.nodes.values())
