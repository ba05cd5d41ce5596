"""Table tests for the policy calculators: the cases in tests/policy_kb/cases/*.yml.

Each file is a list of cases (openfisca style):

    - name: 省外，车票高于上限，按上限补      # the test id; unique across all files
      date: 2026-11-28                        # the as-of date
      input: {registered_poor: true, ...}     # fields of the calculator's case dataclass
      xfail: "why the calculator is wrong"    # optional: a documented rule the calculator breaks
      output:
        verdict: eligible                     # eligible | not_eligible | unknown
        amount: 500                           # optional; null asserts there is no amount
        text_contains: ["500元"]              # optional: substrings of result.render()
        text_excludes: ["来不及"]             # optional: substrings render() must not contain
        missing_contains: ["车票多少钱"]      # optional: each is part of some item of result.missing
        no_missing: true                      # optional: result.missing is empty

Expected values are written from the documents (../shared/design/policy-notes.md), never copied from
the calculators; a case the calculator gets wrong is marked `xfail` with the reason (strict: when the
calculator is fixed, the case XPASSes and fails, so the marker has to be removed).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import pytest
import yaml

from policy_kb.calculators import arbitration, organiser, transport
from policy_kb.calculators.result import ELIGIBLE, NOT_ELIGIBLE, UNKNOWN

CASES = Path(__file__).parent / "cases"

# case file -> (calculator module, case dataclass)
CALCULATORS = {
    "transport": (transport, transport.TransportCase),
    "organiser": (organiser, organiser.OrganiserCase),
    "arbitration": (arbitration, arbitration.ArbitrationCase),
}
CASE_KEYS = {"name", "date", "input", "output", "xfail"}
OUTPUT_KEYS = {"verdict", "amount", "text_contains", "text_excludes", "missing_contains", "no_missing"}
VERDICTS = {ELIGIBLE, NOT_ELIGIBLE, UNKNOWN}


def _as_date(value: object) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        return dt.date.fromisoformat(value)
    raise TypeError(f"not a date: {value!r}")


def _build(case_type: type, raw: dict) -> object:
    """The case dataclass from `input`, with ISO date strings turned into dates for date fields."""
    fields = {f.name: f for f in dataclasses.fields(case_type)}
    unknown = set(raw) - set(fields)
    assert not unknown, f"{case_type.__name__} has no field(s) {sorted(unknown)}"
    values = {}
    for name, value in raw.items():
        if value is not None and "date" in str(fields[name].type):
            value = _as_date(value)
        values[name] = value
    return case_type(**values)


def _load() -> list:
    params, seen = [], set()
    for stem, (module, case_type) in CALCULATORS.items():
        path = CASES / f"{stem}.yml"
        cases = yaml.safe_load(path.read_text(encoding="utf-8"))
        assert isinstance(cases, list) and cases, f"{path} must be a non-empty list of cases"
        for case in cases:
            extra = set(case) - CASE_KEYS
            assert not extra, f"{path}: {case.get('name')}: unknown key(s) {sorted(extra)}"
            extra = set(case["output"]) - OUTPUT_KEYS
            assert not extra, f"{path}: {case['name']}: unknown output key(s) {sorted(extra)}"
            assert case["output"]["verdict"] in VERDICTS, f"{path}: {case['name']}: bad verdict"
            assert case["name"] not in seen, f"duplicate case name {case['name']!r}"
            seen.add(case["name"])
            marks = [pytest.mark.xfail(reason=case["xfail"], strict=True)] if case.get("xfail") else []
            params.append(pytest.param(module, case_type, case, id=case["name"], marks=marks))
    return params


@pytest.mark.parametrize("module, case_type, case", _load())
def test_calculator(module, case_type, case):
    expected = case["output"]
    result = module.calculate(_build(case_type, case.get("input") or {}), as_of=_as_date(case["date"]))
    text = result.render()

    assert result.verdict == expected["verdict"], text
    if "amount" in expected:
        if expected["amount"] is None:
            assert result.amount is None, text
        else:
            assert result.amount == pytest.approx(expected["amount"]), text
    for part in expected.get("text_contains", []):
        assert part in text, f"{part!r} not in:\n{text}"
    for part in expected.get("text_excludes", []):
        assert part not in text, f"{part!r} should not be in:\n{text}"
    for part in expected.get("missing_contains", []):
        assert any(part in item for item in result.missing), f"{part!r} not in missing {result.missing}"
    if expected.get("missing_contains") is not None:
        assert result.missing, "the missing list should not be empty"
    if expected.get("no_missing"):
        assert result.missing == [], f"nothing should be missing: {result.missing}"
    if result.verdict == UNKNOWN and not result.reasons:
        assert result.missing, "an unknown verdict with no reason should say what is missing"


def test_case_files_are_big_enough():
    counts = {
        stem: len(yaml.safe_load((CASES / f"{stem}.yml").read_text(encoding="utf-8"))) for stem in CALCULATORS
    }
    assert sum(counts.values()) >= 60, counts
