"""Score the NLU on the held-out test set (bot/tools/data/nlu_heldout.yml), never used for training.

`python -m bot.tools.evaluate [--model PATH] [--config PATH] [--skip-baselines]` compares, on the same held-out
messages and the same training data (nlu_data/nlu/*.yml):

1. our pipeline (bot/config.yml), trained NLU-only unless `--model` gives an existing model;
2. baseline 1: Rasa's default pipeline for whitespace languages (bot/tools/baselines/config_whitespace.yml);
3. baseline 2: a TF-IDF character n-gram 1-NN matcher (bot/tools/baselines/tfidf_knn.py).

For each: intent accuracy (an FAQ message counts as right only when the FAQ key is right too; a label is
'faq/<key>' or the intent), the same on the held-out messages that are not in the training data verbatim,
macro-F1, FAQ-key accuracy, out-of-scope precision/recall (a fallback on an out-of-scope message is a
correct refusal), fallback rate, training time and the per-intent errors. Writes reports/nlu_eval.json,
reports/nlu_eval.md and our pipeline's confusion matrix, reports/confusion_matrix.png.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Sequence
from pathlib import Path

import yaml

from bot import paths
from bot.tools import train
from policy_kb import navigation

HELDOUT = paths.BOT / "tools" / "data" / "nlu_heldout.yml"
TRAINING = paths.NLU_DATA / "nlu"
REPORTS = paths.REPO / "reports"
BASELINE_CONFIG = paths.BOT / "baselines" / "config_whitespace.yml"
FALLBACK = "nlu_fallback"
OUT_OF_SCOPE = "out_of_scope"

# the figures of the comparison table and of the deltas, in this order
METRICS = {
    "intent_accuracy": "intent accuracy",
    "unseen_intent_accuracy": "intent accuracy, unseen only",
    "good_outcome_rate": "accuracy, refusal of OOS = right",
    "macro_f1": "macro-F1",
    "faq_key_accuracy": "FAQ-key accuracy",
    "out_of_scope_precision": "OOS precision",
    "out_of_scope_recall": "OOS recall",
    "fallback_rate": "fallback rate",
}


# ---------------------------------------------------------------- data


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


def load_training(folder: Path = TRAINING) -> list[tuple[str, str]]:
    """(text, label) of every training example in folder/*.yml, read by Rasa's own loader.

    The label of an FAQ example is its retrieval key 'faq/<key>', of any other its intent.
    """
    from rasa.shared.nlu.training_data.loading import load_data

    pairs = []
    for file in sorted(folder.glob("*.yml")):
        for message in load_data(str(file)).intent_examples:
            pairs.append((message.get("text"), message.get("intent_response_key") or message.get("intent")))
    return pairs


# ---------------------------------------------------------------- scoring


def label_of(parse: dict) -> str:
    """The label a parse result amounts to: 'faq/<key>' for FAQ, else the intent name."""
    intent = (parse.get("intent") or {}).get("name") or FALLBACK
    if intent == "faq":
        return navigation.selected_faq(parse) or "faq"
    return intent


def _ratio(numerator: int, denominator: int) -> float | None:
    return numerator / denominator if denominator else None


def score(pairs: list[tuple[str, str]], predicted: list[str]) -> dict:
    """Accuracy, macro-F1 over the gold labels, FAQ-key accuracy and out-of-scope precision/recall."""
    gold = [label for _, label in pairs]
    both = list(zip(gold, predicted, strict=True))
    correct = sum(g == p for g, p in both)
    per_label = {}
    for label in sorted(set(gold)):
        tp = sum(g == p == label for g, p in both)
        fp = sum(p == label != g for g, p in both)
        fn = sum(g == label != p for g, p in both)
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per_label[label] = {"support": tp + fn, "precision": precision, "recall": recall, "f1": f1}
    faq = [(g, p) for g, p in both if g.startswith("faq/")]
    # a refusal (fallback) on an out-of-scope message is as good as labelling it out_of_scope
    oos_pred = [p in (OUT_OF_SCOPE, FALLBACK) for p in predicted]
    oos_gold = [g == OUT_OF_SCOPE for g in gold]
    tp = sum(a and b for a, b in zip(oos_gold, oos_pred, strict=True))
    refused_oos = sum(g == OUT_OF_SCOPE and p == FALLBACK for g, p in both)
    errors: dict[str, Counter] = defaultdict(Counter)
    examples = []
    for (text, g), p in zip(pairs, predicted, strict=True):
        if g != p:
            errors[g][p] += 1
            examples.append({"text": text, "gold": g, "predicted": p})
    confusions = Counter((e["gold"], e["predicted"]) for e in examples)
    return {
        "messages": len(gold),
        "intent_accuracy": correct / len(gold),
        "good_outcome_rate": (correct + refused_oos) / len(gold),
        "macro_f1": sum(m["f1"] for m in per_label.values()) / len(per_label),
        "faq_key_accuracy": _ratio(sum(g == p for g, p in faq), len(faq)),
        "fallback_rate": predicted.count(FALLBACK) / len(predicted),
        "out_of_scope_precision": _ratio(tp, sum(oos_pred)),
        "out_of_scope_recall": _ratio(tp, sum(oos_gold)),
        "errors": len(examples),
        "errors_by_intent": {g: dict(c) for g, c in sorted(errors.items())},
        "top_confusions": [
            {"gold": g, "predicted": p, "count": n}
            for (g, p), n in sorted(confusions.items(), key=lambda item: (-item[1], item[0]))
        ],
        "per_label": per_label,
        "error_examples": examples,
    }


def confusion(gold: Sequence[str], predicted: Sequence[str]) -> tuple[list[str], list[str], list[list[int]]]:
    """(rows, columns, counts): rows are the gold labels; columns the same, then any other prediction."""
    rows = sorted(set(gold))
    columns = rows + sorted(set(predicted) - set(rows))
    counts = [[0] * len(columns) for _ in rows]
    for g, p in zip(gold, predicted, strict=True):
        counts[rows.index(g)][columns.index(p)] += 1
    return rows, columns, counts


def cjk_font() -> str | None:
    """The name of an installed font with Chinese glyphs (Noto Sans CJK preferred), registered with matplotlib."""
    from matplotlib import font_manager

    try:
        listed = subprocess.run(
            ["fc-list", ":lang=zh", "file"], capture_output=True, text=True, timeout=30, check=False
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    files = sorted({line.split(":")[0].strip() for line in listed.splitlines() if line.strip()})
    files.sort(key=lambda f: ("NotoSansCJK" not in f, "Regular" not in f, "Noto" not in f, f))
    for file in files:
        try:
            font_manager.fontManager.addfont(file)
            return font_manager.FontProperties(fname=file).get_name()
        except (OSError, RuntimeError, ValueError):
            continue
    return None


def plot_confusion(gold: Sequence[str], predicted: Sequence[str], title: str, target: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    font = cjk_font()
    if font:
        matplotlib.rcParams["font.family"] = font
    else:  # the labels are ASCII; only the title has Chinese
        title = title.replace("会泽务工助手", "Huize worker assistant")
    rows, columns, counts = confusion(gold, predicted)
    matrix = np.array(counts)
    share = matrix / np.maximum(matrix.sum(axis=1, keepdims=True), 1)  # colour: share of the gold row
    fig, ax = plt.subplots(figsize=(0.42 * len(columns) + 4, 0.38 * len(rows) + 3.5))
    ax.imshow(share, cmap="Blues", vmin=0, vmax=1, aspect="auto")
    for i, j in zip(*np.nonzero(matrix), strict=True):
        colour = "white" if share[i, j] > 0.6 else ("black" if i == j else "crimson")
        ax.text(j, i, str(matrix[i, j]), ha="center", va="center", fontsize=7, color=colour)
    ax.set_xticks(range(len(columns)), labels=columns, rotation=75, ha="right", fontsize=8)
    ax.set_yticks(range(len(rows)), labels=rows, fontsize=8)
    ax.set_xlabel("predicted")
    ax.set_ylabel("gold")
    ax.set_title(title, fontsize=11)
    fig.tight_layout()
    target.parent.mkdir(exist_ok=True)
    fig.savefig(target, dpi=110)
    plt.close(fig)
    return target


# ---------------------------------------------------------------- the systems


def train_nlu(config: Path, out: Path) -> tuple[Path, float]:
    """An NLU-only model trained on nlu_data/ with `config`, and the training's wall-clock seconds."""
    # no training cache: every component really trains (an honest time), and the cache keeps no baselines
    os.environ["RASA_MAX_CACHE_SIZE"] = "0"
    start = time.perf_counter()
    model = train.train(out, config=config, nlu_only=True)
    return model, time.perf_counter() - start


def predict_timed(model: Path, texts: list[str]) -> tuple[list[str], float]:
    """The label of each text, and the mean parse time per message in milliseconds."""
    from bot.plugins import rasa_speedups

    rasa_speedups.apply()  # load the model as the Rasa server does
    agent = train.load_agent(model)

    async def parse_all() -> list[str]:
        return [label_of(await agent.parse_message(text)) for text in texts]

    start = time.perf_counter()
    labels = asyncio.run(parse_all())
    return labels, 1000 * (time.perf_counter() - start) / len(texts)


def predict(model: Path, texts: list[str]) -> list[str]:
    return predict_timed(model, texts)[0]


def _rasa_epochs(config: Path) -> str:
    pipeline = yaml.safe_load(config.read_text(encoding="utf-8"))["pipeline"]
    epochs = {
        c["name"]: c.get("epochs", 300)
        for c in pipeline
        if c["name"] in ("DIETClassifier", "ResponseSelector")
    }
    return ", ".join(f"{name} {n}" for name, n in epochs.items())


def evaluate_rasa(
    system_id: str,
    name: str,
    config: Path,
    pairs: list[tuple[str, str]],
    tmp: Path,
    model: Path | None = None,
) -> dict:
    print(
        f"\n=== {name}: {'scoring ' + str(model) if model else 'training on nlu_data/ with ' + str(config)}"
    )
    seconds = None
    if model is None:
        model, seconds = train_nlu(config, tmp / system_id)
        print(f"=== {name}: trained in {seconds:.0f} s")
    predicted, ms = predict_timed(model, [t for t, _ in pairs])
    return {
        "id": system_id,
        "name": name,
        "config": str(config.relative_to(paths.REPO)) if config.is_relative_to(paths.REPO) else str(config),
        "epochs": _rasa_epochs(config),
        "model": str(model) if seconds is None else None,
        "training_seconds": seconds,
        "parse_ms_per_message": ms,
        "predicted": predicted,
        "_model_path": str(model),
    }


def evaluate_repaired(ours: dict, pairs: list[tuple[str, str]]) -> dict:
    """Our model on the text as the REST channel hands it to Rasa: after bot.plugins.spelling's repair."""
    from bot.plugins import spelling

    print("\n=== ours + spelling repair (as the REST channel sends the text)")
    texts = [spelling.repair(t) for t, _ in pairs]
    predicted, ms = predict_timed(Path(ours["_model_path"]), texts)
    return {
        **{k: v for k, v in ours.items() if not k.startswith("_")},
        "id": "ours",
        "name": ours["name"].removesuffix(", NLU alone")
        + " + spelling repair (bot/plugins/spelling.py), as served",
        "training_seconds": None,
        "parse_ms_per_message": ms,
        "predicted": predicted,
    }


def evaluate_tfidf(training: list[tuple[str, str]], pairs: list[tuple[str, str]]) -> dict:
    from bot.tools.baselines.tfidf_knn import TfidfNearestNeighbour

    print("\n=== TF-IDF 1-NN: fitting")
    start = time.perf_counter()
    matcher = TfidfNearestNeighbour().fit([t for t, _ in training], [label for _, label in training])
    seconds = time.perf_counter() - start
    start = time.perf_counter()
    predicted = matcher.predict([t for t, _ in pairs])
    ms = 1000 * (time.perf_counter() - start) / len(pairs)
    return {
        "id": "tfidf_knn",
        "name": f"baseline 2: TF-IDF {matcher.analyzer} {matcher.ngram_range[0]}–{matcher.ngram_range[1]}-grams, 1-NN",
        "config": "bot/tools/baselines/tfidf_knn.py",
        "threshold": matcher.threshold,
        "threshold_leave_one_out_rate": matcher.leave_one_out_rate,
        "training_seconds": seconds,
        "parse_ms_per_message": ms,
        "predicted": predicted,
    }


# ---------------------------------------------------------------- reports


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:.1f}%"


def _points(value: float | None) -> str:
    return "—" if value is None else f"{value:+.1f}"


def _seconds(value: float | None) -> str:
    if value is None:
        return "— (given model)"
    return f"{value:.0f} s" if value >= 10 else f"{value:.2f} s"


def markdown(report: dict) -> str:
    systems = report["systems"]
    ours = systems[0]
    heldout = report["heldout"]
    lines = [
        "# NLU evaluation on the held-out set",
        "",
        f"Held-out: `{heldout['path']}`, {heldout['messages']} messages, {heldout['labels']} labels; "
        f"{heldout['seen_in_training']} of them are in the training data verbatim, so *unseen only* scores "
        f"the other {heldout['unseen']}. "
        f"Training: `{report['training']['path']}`, {report['training']['examples']} examples, "
        f"{report['training']['labels']} labels (all systems). Generated by `make eval`.",
        "",
        "An FAQ message is right only when its FAQ key is right too (label `faq/<key>`). *Refusal of OOS "
        "= right* also counts a fallback on an out-of-scope message as right. OOS precision/recall treat a "
        "fallback as an out-of-scope answer. Δ rows: our pipeline minus the baseline, in percentage points.",
        "",
        "| system | " + " | ".join(METRICS.values()) + " | training time | parse time / message |",
        "|---" * (len(METRICS) + 3) + "|",
    ]
    for system in systems:
        figures = " | ".join(_pct(system["scores"][key]) for key in METRICS)
        lines.append(
            f"| {system['name']} | {figures} | {_seconds(system['training_seconds'])} | "
            f"{system['parse_ms_per_message']:.1f} ms |"
        )
    for system in systems[1:]:
        delta = report["deltas_points"][system["id"]]
        figures = " | ".join(_points(delta[key]) for key in METRICS)
        lines.append(f"| Δ ours − {system['id']} | {figures} | | |")
    lines += ["", "Settings:", ""]
    for system in systems:
        detail = f"`{system['config']}`"
        if "epochs" in system:
            detail += f", epochs: {system['epochs']}"
        if system.get("threshold") is not None:
            detail += (
                f", refuses below cosine similarity {system['threshold']:.2f} (chosen by leave-one-out on "
                f"the training data: {_pct(system['threshold_leave_one_out_rate'])} good outcomes there)"
            )
        if system.get("model"):
            detail += f", model `{system['model']}`"
        lines.append(f"- {system['name']}: {detail}")
    lines += ["", f"Confusion matrix of {ours['name']}: `reports/confusion_matrix.png`."]
    for system in systems:
        s = system["scores"]
        lines += ["", f"## Errors: {system['name']}", ""]
        lines.append(f"{s['errors']} of {s['messages']} wrong. Most frequent confusions (gold → predicted):")
        lines.append("")
        top = [c for c in s["top_confusions"] if c["count"] >= 2][:10] or s["top_confusions"][:5]
        lines += [f"- {c['gold']} → {c['predicted']}: {c['count']}" for c in top]
        worst = sorted(
            ((label, m) for label, m in s["per_label"].items() if m["f1"] < 1.0),
            key=lambda item: (item[1]["f1"], item[0]),
        )[:6]
        if worst:
            lines += [
                "",
                "Lowest F1: " + ", ".join(f"{label} {100 * m['f1']:.0f}%" for label, m in worst) + ".",
            ]
        lines += ["", "<details><summary>All errors by gold label</summary>", ""]
        for gold, wrong in s["errors_by_intent"].items():
            lines.append(f"- {gold} → " + ", ".join(f"{p}: {n}" for p, n in sorted(wrong.items())))
        lines += ["", "</details>"]
    return "\n".join(lines) + "\n"


def compare(systems: list[dict], pairs: list[tuple[str, str]], training: list[tuple[str, str]]) -> dict:
    seen = {text for text, _ in training}
    unseen_index = [i for i, (text, _) in enumerate(pairs) if text not in seen]
    for system in systems:
        predicted = system.pop("predicted")
        system["scores"] = score(pairs, predicted)
        unseen = score([pairs[i] for i in unseen_index], [predicted[i] for i in unseen_index])
        system["scores"]["unseen_intent_accuracy"] = unseen["intent_accuracy"]
        system["scores_unseen_only"] = {
            k: v for k, v in unseen.items() if k not in ("error_examples", "per_label")
        }
        system["predictions"] = [
            {"text": t, "gold": g, "predicted": p} for (t, g), p in zip(pairs, predicted, strict=True)
        ]
    ours = systems[0]["scores"]
    deltas = {}
    for system in systems[1:]:
        other = system["scores"]
        deltas[system["id"]] = {
            key: None if ours[key] is None or other[key] is None else round(100 * (ours[key] - other[key]), 2)
            for key in METRICS
        }
    return {
        "heldout": {
            "path": str(HELDOUT.relative_to(paths.REPO)),
            "messages": len(pairs),
            "labels": len({label for _, label in pairs}),
            "seen_in_training": len(pairs) - len(unseen_index),
            "unseen": len(unseen_index),
        },
        "training": {
            "path": str(TRAINING.relative_to(paths.REPO)) + "/*.yml",
            "examples": len(training),
            "labels": len({label for _, label in training}),
        },
        "systems": systems,
        "deltas_points": deltas,
    }


def _quiet_rasa() -> None:
    """Rasa's structured log prints every parse at debug level; keep warnings and the training progress."""
    import logging

    from rasa.utils.common import configure_logging_and_warnings
    from rasa.utils.log_utils import configure_structlog

    configure_logging_and_warnings(logging.WARNING)
    configure_structlog(logging.WARNING)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, help="score this model as ours instead of training one")
    parser.add_argument("--config", type=Path, default=paths.CONFIG, help="our pipeline's config")
    parser.add_argument("--name", default="our pipeline (jieba + char n-grams + DIET + ResponseSelector)")
    parser.add_argument("--skip-baselines", action="store_true", help="score our pipeline only")
    args = parser.parse_args(argv)
    _quiet_rasa()
    pairs = load_heldout()
    training = load_training()
    texts = [t for t, _ in pairs]
    assert texts, "empty held-out set"
    with tempfile.TemporaryDirectory() as tmp:
        ours = evaluate_rasa(
            "ours_nlu_only", args.name + ", NLU alone", args.config, pairs, Path(tmp), args.model
        )
        # the system as served first: the deltas compare it with the NLU alone and with each baseline
        systems = [evaluate_repaired(ours, pairs), ours]
        if not args.skip_baselines:
            systems.append(
                evaluate_rasa(
                    "rasa_whitespace",
                    "baseline 1: Rasa default pipeline for whitespace languages",
                    BASELINE_CONFIG,
                    pairs,
                    Path(tmp),
                )
            )
            systems.append(evaluate_tfidf(training, pairs))
    ours_predicted = systems[0]["predicted"]
    for system in systems:
        system.pop("_model_path", None)
    report = compare(systems, pairs, training)
    REPORTS.mkdir(exist_ok=True)
    plot_confusion(
        [g for _, g in pairs],
        ours_predicted,
        f"会泽务工助手 — {args.name}: held-out set, {len(pairs)} messages",
        REPORTS / "confusion_matrix.png",
    )
    (REPORTS / "nlu_eval.json").write_text(json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8")
    text = markdown(report)
    (REPORTS / "nlu_eval.md").write_text(text, encoding="utf-8")
    print()
    print(text.split("\nSettings:")[0])
    print(
        f"written: {REPORTS / 'nlu_eval.md'}, {REPORTS / 'nlu_eval.json'}, {REPORTS / 'confusion_matrix.png'}"
    )


if __name__ == "__main__":
    main()
