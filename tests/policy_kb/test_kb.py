"""The knowledge base is consistent, complete, and the only place facts are written."""

from __future__ import annotations

import datetime as dt
import re
import subprocess
from pathlib import Path

import pytest

from policy_kb import kb as policy

SHEET_TOPICS = [
    "transfer_ways",
    "job_info_channels",
    "job_search_routes",
    "work_conditions",
    "job_scam",
    "outflow_office",
    "local_duties",
    "report_illegal_employment",
    "unpaid_wages",
    "rights_routes",
    "transport_subsidy",
    "organiser_subsidy",
]
OTHER_TOPICS = [
    "arbitration_deadline",
    "hotline_12333",
    "employer_subsidy",
    "poverty_workshop",
    "public_service_post",
    "startup_subsidy",
    "startup_loan",
    "vocational_training_subsidy",
    "skill_upgrade_subsidy",
    "yulu_plan",
]


def test_no_problems(kb):
    assert kb.problems() == []


@pytest.mark.parametrize("key", SHEET_TOPICS + OTHER_TOPICS)
def test_every_topic_is_an_faq_answer_with_a_citation(kb, key):
    answer = kb.answers[key]
    assert answer.kind == "faq"
    rendered = kb.render(key)
    assert "来源：" in rendered
    assert "{" not in rendered, "a placeholder was left unrendered"


@pytest.mark.parametrize("number, key", enumerate(SHEET_TOPICS, start=1))
def test_each_sheet_question_cites_its_own_number(kb, number, key):
    assert any(c.doc == "qa_sheet" and c.item == f"第{number}问" for c in kb.answers[key].cites)


def test_the_facts_of_the_sheet(kb):
    assert kb.contacts["center"].phone == "0874-5120155"
    assert kb.contacts["inspection"].phone == "0874-5125539"
    assert kb.contacts["hotline"].phone == "12333"
    assert kb.value("transport_subsidy.cap.out_of_province") == 500
    assert kb.value("transport_subsidy.cap.in_province_out_of_county") == 300
    assert kb.value("transport_subsidy.cap.in_county") == 100
    assert kb.value("organiser_subsidy.per_worker.out_of_province") == 300
    assert kb.value("organiser_reward.per_person_organised") == 10
    assert kb.value("arbitration.qa_limit_days") == 60


def test_rendered_answers_carry_their_key_facts(kb):
    assert "0874-5120155" in kb.render("outflow_office")
    assert "0874-5125539" in kb.render("report_illegal_employment")
    wages = kb.render("unpaid_wages")
    assert "60天" in wages and "1年" in wages and "0874-5125539" in wages and "12333" in wages
    transport = kb.render("transport_subsidy")
    for fact in ("500元", "300元", "100元", "3个月", "会政发〔2018〕20号第16条", "0874-5120155"):
        assert fact in transport


def test_transport_answer_states_the_county_city_conflict(kb):
    text = kb.render("transport_subsidy")
    assert "曲靖" in text and "问答" in text


def test_arbitration_answer_never_says_too_late(kb):
    text = kb.render("arbitration_deadline")
    assert "1年" in text and "60天" in text and "第二十七条" in text
    assert "来不及" not in text and "丧失" not in text


def test_confirm_line_for_old_amounts(kb):
    assert "核实" in kb.render("transport_subsidy")


def test_parameters_by_effective_date(kb):
    cap = kb.parameters["transport_subsidy.cap.out_of_province"]
    assert cap.at(dt.date(2017, 12, 31)) is None
    assert cap.at(dt.date(2018, 1, 1)) == 500
    assert cap.at(dt.date(2026, 11, 28)) == 500


def test_format_number():
    assert policy.format_number(500.0) == "500"
    assert policy.format_number(0.5) == "0.5"
    assert policy.format_number(100000) == "10万"


def test_validation_catches_a_bad_citation_and_a_typed_number(kb):
    broken = policy.Answer(
        key="x",
        kind="faq",
        title="x",
        summary="x",
        text="补500元，打{contact:nobody.phone}",
        cites=(policy.Reference("no_such_doc", "第1条"),),
    )
    kb2 = policy.KnowledgeBase(kb.documents, kb.contacts, kb.parameters, {"x": broken})
    problems = "\n".join(kb2.problems())
    assert "unknown document 'no_such_doc'" in problems
    assert "a number is typed" in problems
    assert "unknown contact placeholder" in problems


ROOT = Path(__file__).resolve().parents[2]
# how each unit of policy_kb/parameters is written after its number in Chinese text
UNIT_WORDS = {
    "yuan": r"\s*(?:元|块)",
    "yuan_per_person": r"\s*(?:元|块)",
    "yuan_per_month": r"\s*(?:元|块)",
    "month": r"\s*个?\s*月(?!份|[0-9号日])",
    "day": r"\s*天",
    "year": r"\s*年(?![0-9])",
    "person": r"\s*(?:人|名)",
    "percent": r"\s*%",
    "times": r"\s*次",
    "age": r"\s*周?岁",
}
# where facts may be written: the knowledge base itself, tests, training data and the held-out set
# (which quote workers)
FACT_HOMES = ("policy_kb/", "tests/", "nlu_data/", "bot/tools/data/")
SCANNED = (".py", ".html", ".js", ".yml", ".yaml", ".sh", ".toml", ".cfg", ".txt")


def fact_pattern(kb: policy.KnowledgeBase) -> re.Pattern[str]:
    """Every value of policy_kb (amounts, months, days, years, head counts, percentages, phones) as it
    would be typed: "100元", "6个月", "10万元", "0874-5120155"."""
    found = set()
    for parameter in kb.parameters.values():
        for _, value in parameter.values:
            if value is None:
                continue
            number = int(value) if float(value).is_integer() else value
            spellings = {str(number)}
            if isinstance(number, int) and number >= 10000 and number % 10000 == 0:
                spellings.add(f"{number // 10000}万")
            found |= {rf"(?<![0-9.]){re.escape(s)}{UNIT_WORDS[parameter.unit]}" for s in spellings}
    for contact in kb.contacts.values():
        digits = re.sub(r"\D", "", contact.phone)
        if len(digits) < 5:  # 110 is in too many other numbers (dpi=110, line-length = 110) to police
            continue
        found.add(r"(?<![0-9_A-Za-z])" + r"[-— ]?".join(re.escape(d) for d in digits) + r"(?![0-9])")
    return re.compile("|".join(sorted(found)))


def fact_offenders(root: Path, kb: policy.KnowledgeBase) -> list[str]:
    """file:line of every policy fact written outside its home, in the repository at `root`."""
    files = subprocess.run(
        ["git", "-C", str(root), "ls-files", "--cached", "--others", "--exclude-standard"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    pattern, offenders = fact_pattern(kb), []
    for name in files:
        if name.startswith(FACT_HOMES) or not name.endswith(SCANNED):
            continue
        try:
            text = (root / name).read_text(encoding="utf-8")
        except (FileNotFoundError, UnicodeDecodeError):
            continue
        for number, line in enumerate(text.splitlines(), start=1):
            if pattern.search(line):
                offenders.append(f"{name}:{number}: {pattern.search(line).group()}")
    return offenders


def test_no_fact_is_written_outside_policy_kb(kb):
    """Phones, amounts, months and days appear only in policy_kb (and tests/training data quoting users)."""
    assert fact_offenders(ROOT, kb) == []


def test_the_fact_guard_finds_a_planted_literal(kb, tmp_path, monkeypatch):
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    (tmp_path / "actions").mkdir()
    (tmp_path / "actions" / "x.py").write_text(
        'REPLY = "补100元，满6个月"\nOK = "满几个月"\n', encoding="utf-8"
    )
    (tmp_path / "bot").mkdir()
    (tmp_path / "bot" / "y.py").write_text('PHONE = "0874 5120155"\nTEN = "10万元"\n', encoding="utf-8")
    (tmp_path / "policy_kb").mkdir()
    (tmp_path / "policy_kb" / "z.py").write_text('HOME = "100元"\n', encoding="utf-8")
    monkeypatch.chdir(tmp_path / "bot")  # run from a subfolder: the whole repository is still scanned
    offenders = fact_offenders(tmp_path, kb)
    assert offenders == [
        "actions/x.py:1: 100元",
        "bot/y.py:1: 0874 5120155",
        "bot/y.py:2: 10万元",
    ]


def test_every_faq_key_has_an_end_to_end_question(kb):
    from tests.e2e.questions import QUESTIONS

    assert set(QUESTIONS) == set(kb.faq_keys())
