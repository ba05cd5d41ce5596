"""The intents a correction may name: exactly those of the training data in nlu_data/nlu/*.yml.

Retrieval intents are kept as written there ("faq/unpaid_wages"), so an export can be added to the
training data as it is; the pick list names them in Chinese (labels).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml
from flask import current_app

from bot import paths

FAQ_PREFIX = "faq/"


@dataclass(frozen=True)
class Catalog:
    intents: tuple[str, ...]  # everything that is not an FAQ key, sorted
    faq_keys: tuple[str, ...]  # "faq/<key>", sorted
    examples: dict = field(default_factory=dict)  # example text → the intent it is trained as

    def __contains__(self, name: object) -> bool:
        return name in self.intents or name in self.faq_keys


def nlu_dir() -> Path:
    return Path(current_app.config.get("ADMIN_NLU_DIR") or paths.NLU_DATA / "nlu")


def get() -> Catalog:
    folder = nlu_dir()
    files = sorted(folder.glob("*.yml"))
    # the key includes modification times: edited training data is picked up without a restart
    return _load(str(folder), tuple((str(p), p.stat().st_mtime_ns) for p in files))


@lru_cache(maxsize=4)
def _load(folder: str, files: tuple[tuple[str, int], ...]) -> Catalog:
    names: set[str] = set()
    examples: dict[str, str] = {}
    for path, _ in files:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
        for block in data.get("nlu") or []:
            intent = block.get("intent") if isinstance(block, dict) else None
            if not intent:
                continue
            names.add(str(intent))
            for line in str(block.get("examples") or "").splitlines():
                text = line.strip().removeprefix("- ").strip()
                if text:
                    examples.setdefault(text, str(intent))
    return Catalog(
        intents=tuple(sorted(n for n in names if not n.startswith(FAQ_PREFIX))),
        faq_keys=tuple(sorted(n for n in names if n.startswith(FAQ_PREFIX))),
        examples=examples,
    )
