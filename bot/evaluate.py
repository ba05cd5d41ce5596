"""Score the NLU on the held-out test set (tests/data/nlu_heldout.yml), never used for training.

`python -m bot.evaluate [--model PATH] [--config PATH]` trains an NLU-only model on nlu_data/ when no
model is given, parses every held-out message, and writes reports/nlu_eval.{json,md}: intent accuracy
(an FAQ message counts as right only when the FAQ key is right too), macro-F1, FAQ-key accuracy,
out-of-scope precision/recall and the per-intent errors.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import tempfile
from collections import Counter, defaultdict
from pathlib import Path

import yaml

from bot import build, paths

HELDOUT = paths.REPO / "tests" / "data" / "nlu_heldout.yml"
REPORTS = paths.REPO / "reports"
FALLBACK = "nlu_fallback"


def load_heldout(path: Path = HELDOUT) -> list[tuple[str, str]]:
    """(text, label) pairs from a Rasa NLU YAML file."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    pairs = []
    for block in data["nlu"]:
        for line in block["examples"].splitlines():
            line = line.strip()
            if line.startswith("- "):
                pairs.append((line[2:].strip(), block["intent"]))
    return pairs


def label_of(parse: dict) -> str:
    """The label a parse result amounts to: 'faq/<key>' for FAQ, else the intent name."""
    intent = (parse.get("intent") or {}).get("name") or FALLBACK
    if intent == "faq":
        key = parse.get("response_selector", {}).get("faq", {}).get("response", {}).get("intent_response_key")
        return key or "faq"
    return intent


def score(pairs: list[tuple[str, str]], predicted: list[str]) -> dict:
    """Accuracy, macro-F1 over the gold labels, FAQ-key accuracy and out-of-scope precision/recall."""
    gold = [label for _, label in pairs]
    correct = sum(g == p for g, p in zip(gold, predicted, strict=True))
    f1s = []
    for label in sorted(set(gold)):
        tp = sum(g == p == label for g, p in zip(gold, predicted, strict=True))
        fp = sum(p == label != g for g, p in zip(gold, predicted, strict=True))
        fn = sum(g == label != p for g, p in zip(gold, predicted, strict=True))
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        f1s.append(2 * precision * recall / (precision + recall) if precision + recall else 0.0)
    faq = [(g, p) for g, p in zip(gold, predicted, strict=True) if g.startswith("faq/")]
    # a refusal (fallback) on an out-of-scope message is as good as labelling it out_of_scope
    oos_pred = [p in ("out_of_scope", FALLBACK) for p in predicted]
    oos_gold = [g == "out_of_scope" for g in gold]
    tp = sum(a and b for a, b in zip(oos_gold, oos_pred, strict=True))
    errors: dict[str, Counter] = defaultdict(Counter)
    examples = []
    for (text, g), p in zip(pairs, predicted, strict=True):
        if g != p:
            errors[g][p] += 1
            examples.append({"text": text, "gold": g, "predicted": p})
    return {
        "messages": len(gold),
        "intent_accuracy": correct / len(gold),
        "macro_f1": sum(f1s) / len(f1s),
        "faq_key_accuracy": sum(g == p for g, p in faq) / len(faq) if faq else None,
        "fallback_rate": predicted.count(FALLBACK) / len(predicted),
        "out_of_scope_precision": tp / sum(oos_pred) if sum(oos_pred) else None,
        "out_of_scope_recall": tp / sum(oos_gold) if sum(oos_gold) else None,
        "errors_by_intent": {g: dict(c) for g, c in sorted(errors.items())},
        "error_examples": examples,
    }


def train_nlu(config: Path, out: Path) -> Path:
    from rasa.model_training import train_nlu as rasa_train_nlu

    build.main()
    os.chdir(paths.REPO)
    model = rasa_train_nlu(
        config=str(config), nlu_data=str(paths.NLU_DATA), output=str(out), domain=str(paths.DOMAIN)
    )
    return Path(model)


def predict(model: Path, texts: list[str]) -> list[str]:
    from rasa.core.agent import Agent

    agent = Agent.load(str(model))

    async def parse_all() -> list[str]:
        return [label_of(await agent.parse_message(text)) for text in texts]

    return asyncio.run(parse_all())


def markdown(name: str, result: dict) -> str:
    pct = lambda v: "—" if v is None else f"{100 * v:.1f}%"  # noqa: E731
    lines = [
        f"## {name}",
        "",
        "| messages | intent accuracy | macro-F1 | FAQ-key accuracy | out-of-scope P / R | fallback rate |",
        "|---|---|---|---|---|---|",
        f"| {result['messages']} | {pct(result['intent_accuracy'])} | {pct(result['macro_f1'])} | "
        f"{pct(result['faq_key_accuracy'])} | {pct(result['out_of_scope_precision'])} / "
        f"{pct(result['out_of_scope_recall'])} | {pct(result['fallback_rate'])} |",
        "",
        "Errors (gold → predicted: count):",
        "",
    ]
    for gold, wrong in result["errors_by_intent"].items():
        lines.append(f"- {gold} → " + ", ".join(f"{p}: {n}" for p, n in sorted(wrong.items())))
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, help="an existing model (default: train NLU on nlu_data/)")
    parser.add_argument("--config", type=Path, default=paths.CONFIG)
    parser.add_argument("--name", default="our pipeline (jieba + DIET + ResponseSelector)")
    args = parser.parse_args()
    pairs = load_heldout()
    with tempfile.TemporaryDirectory() as tmp:
        model = args.model or train_nlu(args.config, Path(tmp))
        result = score(pairs, predict(model, [t for t, _ in pairs]))
    REPORTS.mkdir(exist_ok=True)
    (REPORTS / "nlu_eval.json").write_text(json.dumps(result, ensure_ascii=False, indent=2), encoding="utf-8")
    report = markdown(args.name, result)
    (REPORTS / "nlu_eval.md").write_text(report, encoding="utf-8")
    print(report)


if __name__ == "__main__":
    main()
