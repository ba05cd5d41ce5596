"""Train the Rasa model only when its inputs changed.

The model is named after a SHA-256 of every input (config, domain, training data, jieba dictionary),
so `models/<hash>.tar.gz` existing means "nothing changed"; Rasa's own training cache then makes a
partial change (say, one more NLU example) retrain only the components it affects.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sys
import tempfile
from pathlib import Path

import yaml

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


def _absolute_config(config: Path, folder: Path) -> Path:
    """A copy of `config` in `folder` with the jieba dictionary's path made absolute: Rasa reads it
    relative to the working directory, and library code should not change that."""
    settings = yaml.safe_load(config.read_text(encoding="utf-8"))
    for component in settings.get("pipeline") or []:
        path = component.get("dictionary_path")
        if path and not Path(path).is_absolute():
            component["dictionary_path"] = str(paths.REPO / path)
    copy = folder / config.name
    copy.write_text(yaml.safe_dump(settings, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return copy


def train(out: Path, name: str | None = None, config: Path = paths.CONFIG, nlu_only: bool = False) -> Path:
    """Train a model on nlu_data/ with `config` into `out` (named `name`): the one way this project
    trains (`make train`, `make eval`'s systems, `make bench`'s timing). The model's path."""
    build.main()
    os.environ.setdefault("RASA_CACHE_DIRECTORY", str(paths.REPO / ".rasa" / "cache"))
    with tempfile.TemporaryDirectory() as tmp:
        settings = str(_absolute_config(config, Path(tmp)))
        if nlu_only:
            from rasa.model_training import train_nlu

            made = train_nlu(
                config=settings,
                nlu_data=str(paths.NLU_DATA),
                output=str(out),
                domain=str(paths.DOMAIN),
                fixed_model_name=name,
            )
        else:
            from rasa.api import train as rasa_train

            result = rasa_train(
                domain=str(paths.DOMAIN),
                config=settings,
                training_files=[str(paths.NLU_DATA)],
                output=str(out),
                fixed_model_name=name,
            )
            made = result.model if result.code == 0 else None
    if not made or not Path(made).exists():
        sys.exit(f"training with {config} failed")
    return Path(made)


def load_agent(model: Path):  # noqa: ANN201 - rasa.core.agent.Agent, imported late (TensorFlow)
    """A trained model loaded in this process as a fresh Rasa server loads it. jieba's dictionary is
    global: a training or load earlier in this process already added the user dictionary once, and a
    second addition changes the word frequencies it suggests, so start from jieba's own dictionary."""
    import jieba
    from rasa.core.agent import Agent

    jieba.dt.initialized = False
    return Agent.load(str(model))


def ensure_model(quiet: bool = False) -> Path:
    """Return the model for the current inputs, training it first if it does not exist."""
    build.main()
    target = model_path()
    if target.exists():
        if not quiet:
            print(f"model up to date: {target.relative_to(paths.REPO)}")
        return target
    made = train(paths.MODELS, name=target.name)
    if made != target:
        made.rename(target)
    for old in paths.MODELS.glob("huize-*.tar.gz"):  # keep models/ from growing without bound
        if old != target and old.stat().st_mtime < target.stat().st_mtime - 1:
            old.unlink()
    return target


def main(argv: list[str] | None = None) -> None:
    """`make train`: the model for the current inputs, trained only if missing. With --out: a training
    from scratch into that folder, whatever exists (make bench times it)."""
    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--out", type=Path, help="train into this folder, always")
    parser.add_argument("--name", default=None, help="the model file's name (with --out)")
    args = parser.parse_args(argv)
    if args.out:
        print(train(args.out, name=args.name))
    else:
        ensure_model()


if __name__ == "__main__":
    main()
