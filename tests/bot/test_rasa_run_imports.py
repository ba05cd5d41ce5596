"""bot.tools.rasa_run keeps JAX out of the Rasa processes: TensorFlow imports it only for a conversion Rasa
never makes, and its libraries cost 31 MB of resident pages in Rasa's main process (#15)."""

from __future__ import annotations

import subprocess
import sys

import pytest

pytestmark = pytest.mark.slow

PROBE = """
import sys
{skip}
import tensorflow  # noqa: F401
from tensorflow.lite.python import util  # the module that imports jax when it can
print(sys.modules.get("jaxlib") is not None, util._xla_computation is None)
"""


def probe(skip: bool) -> str:
    code = PROBE.format(
        skip="import bot.tools.rasa_run; bot.tools.rasa_run.skip_unused_imports()" if skip else ""
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout.split()


def test_rasa_processes_run_without_jax():
    assert probe(skip=True) == ["False", "True"]  # TensorFlow went on without it


def test_tensorflow_would_load_jax_otherwise():
    """If a TensorFlow upgrade stops importing jax, this fails: skip_unused_imports can go."""
    assert probe(skip=False) == ["True", "False"]
