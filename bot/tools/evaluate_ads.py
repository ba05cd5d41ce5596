"""Score the job-ad check (#17) on its labelled set: `make eval` (also `python -m bot.tools.evaluate_ads`).

bot/tools/data/job_ads.yml holds ads written for the tests in the style of WeChat groups, each with the
warning signs and reassuring signs it has; not_ads.yml holds messages that are questions, not ads. Per
sign: precision and recall of policy_kb.job_ads.check; and how many ads are recognised as ads (and how
many questions are not). The ads are masked as the gateway masks them before Rasa sees them.
Writes reports/job_ads_eval.{md,json}.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import yaml

from bot import paths
from bot.gateway import pii
from policy_kb import job_ads
from policy_kb.understanding import ads

DATA = paths.BOT / "tools" / "data"
REPORTS = paths.REPO / "reports"


def load(name: str) -> list[dict]:
    return yaml.safe_load((DATA / name).read_text(encoding="utf-8"))


def score(labelled: list[dict] | None = None, questions: list[dict] | None = None) -> dict:
    labelled = load("job_ads.yml") if labelled is None else labelled
    questions = load("not_ads.yml") if questions is None else questions
    found, expected, hits = Counter(), Counter(), Counter()
    reassuring_found, reassuring_expected, reassuring_hits = Counter(), Counter(), Counter()
    misses, verdicts = [], 0
    for ad in labelled:
        result = job_ads.check(pii.mask(ad["text"]))
        verdicts += result.risky == bool(ad.get("signs"))
        got, want = set(result.keys), set(ad.get("signs") or [])
        found.update(got)
        expected.update(want)
        hits.update(got & want)
        got_r, want_r = set(result.reassuring), set(ad.get("reassuring") or [])
        reassuring_found.update(got_r)
        reassuring_expected.update(want_r)
        reassuring_hits.update(got_r & want_r)
        if got != want:
            misses.append({"id": ad["id"], "missed": sorted(want - got), "extra": sorted(got - want)})

    def table(found: Counter, expected: Counter, hits: Counter) -> dict:
        return {
            key: {
                "expected": expected[key],
                "found": found[key],
                "precision": hits[key] / found[key] if found[key] else None,
                "recall": hits[key] / expected[key] if expected[key] else None,
            }
            for key in sorted(set(expected) | set(found))
        }

    return {
        "ads": len(labelled),
        "ads_with_signs": sum(bool(ad.get("signs")) for ad in labelled),
        "recognised": sum(ads.recognise(pii.mask(ad["text"])) == "ad" for ad in labelled),
        "questions": len(questions),
        "questions_read_as_ads": [q["id"] for q in questions if ads.recognise(q["text"]) == "ad"],
        "verdicts_right": verdicts,
        "signs": table(found, expected, hits),
        "overall_precision": sum(hits.values()) / sum(found.values()) if found else None,
        "overall_recall": sum(hits.values()) / sum(expected.values()) if expected else None,
        "reassuring": table(reassuring_found, reassuring_expected, reassuring_hits),
        "misses": misses,
    }


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:.0f}%"


def markdown(report: dict) -> str:
    lines = [
        "# Job-ad check (`make eval`)",
        "",
        f"{report['ads']} labelled ads ({report['ads_with_signs']} with warning signs), masked as the gateway "
        f"masks them: {report['recognised']} recognised as ads; the verdict (risky or not) right for "
        f"{report['verdicts_right']}. {report['questions']} questions that are not ads: "
        f"{len(report['questions_read_as_ads'])} read as ads ({', '.join(report['questions_read_as_ads']) or 'none'}).",
        "",
        "| warning sign | in the set | found | precision | recall |",
        "|---|---|---|---|---|",
    ]
    for key, row in report["signs"].items():
        lines.append(
            f"| {key} | {row['expected']} | {row['found']} | {_pct(row['precision'])} | {_pct(row['recall'])} |"
        )
    lines.append(
        f"| **all signs** | {sum(r['expected'] for r in report['signs'].values())} | "
        f"{sum(r['found'] for r in report['signs'].values())} | {_pct(report['overall_precision'])} | "
        f"{_pct(report['overall_recall'])} |"
    )
    lines += ["", "| reassuring sign | in the set | found | precision | recall |", "|---|---|---|---|---|"]
    for key, row in report["reassuring"].items():
        lines.append(
            f"| {key} | {row['expected']} | {row['found']} | {_pct(row['precision'])} | {_pct(row['recall'])} |"
        )
    if report["misses"]:
        lines += ["", "Ads whose signs differ from their labels:", ""]
        lines += [
            f"- {m['id']}: missed {m['missed'] or '—'}, extra {m['extra'] or '—'}" for m in report["misses"]
        ]
    return "\n".join(lines) + "\n"


def main() -> None:
    report = score()
    REPORTS.mkdir(exist_ok=True)
    (REPORTS / "job_ads_eval.json").write_text(
        json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8"
    )
    text = markdown(report)
    Path(REPORTS / "job_ads_eval.md").write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
