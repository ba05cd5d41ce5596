"""The knowledge base is consistent, complete, and the only place facts are written."""

from __future__ import annotations

import datetime as dt
import re
import subprocess

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


@pytest.mark.parametrize("key", SHEET_TOPICS + OTHER_TOPICS)
def test_answers_fit_a_phone_screen(kb, key):
    body = kb.fill(kb.answers[key].text)
    assert len(body) <= 360, f"{key}: {len(body)} characters"


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


PHONE_OR_AMOUNT = re.compile(r"0874-?512(0155|5539)|(?<![_a-z])12333|(?<!\d)(500|300|200)元")


def test_no_fact_is_written_outside_policy_kb():
    """Phones and amounts appear only in policy_kb (and in tests/training data that quote users)."""
    files = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "bot", "actions", "*.py"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    offenders = []
    for name in files:
        if name.startswith(("policy_kb/", "tests/")):
            continue
        try:
            with open(name, encoding="utf-8") as handle:
                text = handle.read()
        except (FileNotFoundError, UnicodeDecodeError):
            continue
        if PHONE_OR_AMOUNT.search(text):
            offenders.append(name)
    assert offenders == []


def test_every_faq_key_has_an_end_to_end_question(kb):
    from tests.e2e.questions import QUESTIONS

    assert set(QUESTIONS) == set(kb.faq_keys())
