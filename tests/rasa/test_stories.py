"""`rasa test` on the test conversations, failing on any wrong prediction."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bot import paths

pytestmark = pytest.mark.slow

STORIES = Path(__file__).with_name("test_conversations.yml")


# Two warnings are expected and harmless. Rasa adds an `utter_faq` action for the retrieval intent, but
# we answer with action_answer_faq (live from policy_kb, and for topic buttons), so utter_faq is unused.
# Rasa also merges its own copy of the retrieval intent into the domain, which declares it too (without
# the declaration the story reader warns instead).
EXPECTED_WARNINGS = [
    "The utterance 'utter_faq' is not used in any story or rule.",
    "The following duplicated intents have been found across multiple domain files: faq",
    # only the REST channel sends it, as a payload, for a post it recognised (#17): no NLU examples, so
    # that the model never takes a question for a job ad ("举报违法用工打哪个电话" did, with examples)
    "The intent 'check_job_ad' is listed in the domain file, but is not found in the NLU training data.",
]


def test_rasa_data_validate():
    rasa = Path(sys.executable).with_name("rasa")
    result = subprocess.run(
        [
            str(rasa),
            "data",
            "validate",
            "--config",
            str(paths.CONFIG),
            "--domain",
            str(paths.DOMAIN),
            "--data",
            str(paths.NLU_DATA),
        ],
        cwd=paths.REPO,
        capture_output=True,
        text=True,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-4000:]
    warnings = [line.split("UserWarning: ", 1)[1] for line in output.splitlines() if "UserWarning: " in line]
    assert [w for w in warnings if w.strip() not in EXPECTED_WARNINGS] == []


def test_conversations(model, tmp_path):
    rasa = Path(sys.executable).with_name("rasa")
    result = subprocess.run(
        [
            str(rasa),
            "test",
            "core",
            "--model",
            str(model),
            "--stories",
            str(STORIES),
            "--fail-on-prediction-errors",
            "--out",
            str(tmp_path),
        ],
        cwd=paths.REPO,
        capture_output=True,
        text=True,
    )
    failed = tmp_path / "failed_test_stories.yml"
    detail = failed.read_text(encoding="utf-8") if failed.exists() else result.stdout[-4000:]
    assert result.returncode == 0, detail + result.stderr[-3000:]
