"""Train the Rasa model only when its inputs changed.

The model is named after a SHA-256 of every input (config, domain, training data, jieba dictionary),
so `models/<hash>.tar.gz` existing means "nothing changed"; Rasa's own training cache then makes a
partial change (say, one more NLU example) retrain only the components it affects.
"""

from __future__ import annotations

import hashlib
import os
import sys
from pathlib import Path

from bot import paths
from bot.tools import build


def _inputs() -> list[Path]:
    files = [paths.CONFIG, *sorted(paths.DOMAIN.rglob("*.yml"))]
    files += sorted(paths.NLU_DATA.rglob("*.yml"))
    files += sorted(paths.JIEBA_DICT_DIR.glob("*.txt"))
    return files


def fingerprint() -> str:
    digest = hashlib.sha256()
    for path in _inputs():
        digest.update(str(path.relative_to(paths.REPO)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def model_path() -> Path:
    return paths.MODELS / f"huize-{fingerprint()}.tar.gz"


def ensure_model(quiet: bool = False) -> Path:
    """Return the model for the current inputs, training it first if it does not exist."""
    build.main()
    target = model_path()
    if target.exists():
        if not quiet:
            print(f"model up to date: {target.relative_to(paths.REPO)}")
        return target
    os.environ.setdefault("RASA_CACHE_DIRECTORY", str(paths.REPO / ".rasa" / "cache"))
    os.chdir(paths.REPO)  # the jieba dictionary path in config.yml is relative to the repo
    from rasa.api import train

    result = train(
        domain=str(paths.DOMAIN),
        config=str(paths.CONFIG),
        training_files=[str(paths.NLU_DATA)],
        output=str(paths.MODELS),
        fixed_model_name=target.name,
    )
    if result.code != 0 or not target.exists():
        sys.exit(f"training failed (code {result.code})")
    for old in paths.MODELS.glob("huize-*.tar.gz"):  # keep models/ from growing without bound
        if old != target and old.stat().st_mtime < target.stat().st_mtime - 1:
            old.unlink()
    return target


if __name__ == "__main__":
    ensure_model()
