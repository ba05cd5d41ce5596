"""Every answer fits a phone: its first bubble is short, cites its source, names only documents we hold,
and speaks a worker's words. Rendered from policy_kb as the bot sends them."""

from __future__ import annotations

import re

import pytest

from policy_kb import kb as policy

KB = policy.get()
ALL = sorted(KB.answers)
FAQ = sorted(KB.faq_keys())

# Words a worker with little schooling does not read easily. In a first bubble each must be explained in
# brackets right after it ("劳动监察（管欠工资的）") or not be used at all (BANNED).
EXPLAIN = ["劳动保障监察机构", "强制执行", "行政复议", "贴息", "就业困难人员"]
BANNED = ["县外省内", "稳定率", "市外省内"]
DOC_NUMBER = re.compile(r"[\u4e00-\u9fff]{1,6}〔\d{4}〕\d+号")
MONEY_UNITS = {"yuan", "yuan_per_person", "yuan_per_month"}


@pytest.mark.parametrize("key", ALL)
def test_first_bubble_fits_a_phone_screen(key):
    bubble = KB.first_bubble(key)
    assert len(bubble) <= policy.FIRST_BUBBLE_LIMIT, f"{key}: {len(bubble)} characters\n{bubble}"


@pytest.mark.parametrize("key", FAQ)
def test_every_faq_answer_has_one_short_source_line(key):
    bubble = KB.first_bubble(key)
    sources = [line for line in bubble.splitlines() if line.startswith("来源：")]
    assert len(sources) == 1 and bubble.splitlines()[-1] == sources[0]
    assert len(sources[0]) <= 60, sources[0]
    details = KB.details(key)
    if details:
        assert details.splitlines()[-1] == sources[0]


@pytest.mark.parametrize("key", ALL)
def test_answers_name_only_documents_the_knowledge_base_holds(key):
    held = {d.doc_number for d in KB.documents.values() if d.doc_number}
    text = KB.full_text(key)
    named = set(DOC_NUMBER.findall(text))
    assert named <= held, f"{key} names {named - held}"


def _gives_amount(template: str) -> bool:
    names = re.findall(r"\{(?:param|value):([a-z0-9_.]+)\}", template)
    return any(KB.parameters[n].unit in MONEY_UNITS for n in names)


@pytest.mark.parametrize("key", ALL)
def test_confirm_line_only_where_amounts_are_given(key):
    answer = KB.answers[key]
    gives = _gives_amount(answer.text) or _gives_amount(answer.details)
    if answer.kind == "system":  # said before a calculation, whose result carries the line
        assert not answer.confirm or gives
    else:
        assert answer.confirm == gives, f"{key}: confirm={answer.confirm} but gives amounts={gives}"


@pytest.mark.parametrize("key", ALL)
def test_first_bubble_uses_plain_words(key):
    bubble = KB.first_bubble(key)
    for word in BANNED:
        assert word not in bubble, f"{key}: {word}"
    for word in EXPLAIN:
        for m in re.finditer(re.escape(word), bubble):
            assert bubble[m.end() : m.end() + 1] == "（", f"{key}: {word} is not explained"


def test_the_length_check_can_fail():
    long = policy.Answer("x", "faq", "x", "x", "很长" * 120, (policy.Reference("qa_sheet", "第1问"),))
    kb2 = policy.KnowledgeBase(KB.documents, KB.contacts, KB.parameters, {"x": long})
    assert len(kb2.first_bubble("x")) > policy.FIRST_BUBBLE_LIMIT


def test_long_answers_keep_details_for_a_second_bubble():
    with_details = [k for k in FAQ if KB.answers[k].details]
    assert len(with_details) >= 10, "long answers keep their details behind 看详细"
