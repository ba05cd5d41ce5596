"""Which calculator a message belongs to, outside the forms and at their edges. Pure Python (no Rasa).

`decide(text, intent, faq_key, slots, today)` is asked for every message that may carry a case
(facts, yes/no, a worker asking for his own amount, an FAQ question with his own facts) and returns:

- a rule question to answer with its own FAQ key ("报车费要带哪些东西": the documents, not a calculation);
- a correction or follow-up of the case kept after a result ("不对，是4个月", "那去宣威呢"): the kept
  case with the new facts, and what changed, said first;
- a new person ("那我兄弟呢"): the same calculator from scratch;
- a "yes" or facts right after a calculator-type answer: that calculator;
- a case stated without the trigger words ("贫困户 广州打工 4个月 票价380"): the calculator it belongs to;
- None: nothing fits (the caller offers the closest topics, never the greeting).

A forwarded message with two people's cases starts the first and keeps the second (`pending`) for after
the first result.
"""

from __future__ import annotations

import datetime as dt
import re
import time
from dataclasses import dataclass, field

from actions import intake
from actions.calculators import (
    ARBITRATION,
    BY_INTENT,
    BY_NAME,
    CALCULATORS,
    ORGANISER,
    TRANSPORT,
    Calculator,
    for_topic,
)
from policy_kb import kb as policy
from policy_kb.understanding import parse_place
from policy_kb.understanding.numbers import NUM, number_value

KEEP_SECONDS = 30 * 60  # a result is kept this long for corrections and follow-ups

_PERSON = (
    r"(兄弟|弟弟?|哥哥?|姐姐?|妹妹?|老表|表哥|表弟|表姐|表妹|老婆|媳妇|老公|爸|妈|儿子|女儿|侄儿|侄子|邻居|村民|"
    r"[张王李赵刘陈杨黄周吴马朱胡郭何罗][大小老二三]?[哥姐叔伯爷嬢妹弟嫂]|另外一个人?|另一个人|别人|第二个人?)"
)
# "那我兄弟呢", "再帮张大哥问一下", "帮我表姐也算算": somebody else's case, not a correction of this one
_NEW_PERSON = re.compile(
    rf"(帮|给|替).{{0,3}}{_PERSON}.{{0,4}}(问|算|看|查)|^(那|还有)?(我|他|她)?(家|们)?(的)?{_PERSON}(呢|的呢|咋个|怎么)"
    rf"|{_PERSON}(也|的)?(能|可以)(领|报|补|申请)"
)
_RULE_QUESTIONS = (
    (
        re.compile(r"(回来|回家|返程|回程|往返|来回|过年回)[^，,。]{0,8}(车票|票|车费|路费)"),
        "transport_return_ticket",
    ),
    (
        re.compile(
            r"(带|准备|交|提供|拿|开)(些|点)?(哪些|啥子|什么|哪样|哪些个|啥)(东西|材料|资料|证明|手续|证件)?"
            r"|(要|需要|得)(些|点)?(哪些|啥子|什么|哪样|啥)(东西|材料|资料|证明|手续|证件)|材料|手续|复印件"
        ),
        "transport_documents",
    ),
    (
        re.compile(
            r"(找|去|到|在)(哪个|哪里|哪儿|哪点|哪|什么|啥子)(部门|单位|地方|办公室|机构|点)"
            r"|(哪里|哪儿|哪点|哪|哪个部门)(报|申请|办|领|交)|(去|到|找)(哪|哪里|哪儿)(报|申请|办|领)|谁(管|办|发)"
        ),
        "transport_where",
    ),
    (
        re.compile(
            r"(一年|每年|今年|明年|年年).{0,8}(几次|再|还能|还可以|又|两次|第二次|一次)"
            r"|(报|领|申请)过了?.{0,8}(还能|还可以|再|又|明年)|第二次|第二回|每次出去都"
        ),
        "transport_once_a_year",
    ),
    (re.compile(r"(一起|加起来|合起来|加在一起|都)(算|报)|几趟.{0,6}(算|报)"), "transport_subsidy"),
)
_TRANSPORT_SPECIFIC = re.compile(r"交通|车费|车票|路费|票价|报车|车补|买票|坐车|班车|火车|汽车票|jt|jiaotong")
_ORGANISER_RULE = re.compile(
    r"(要|得|需要)(组织|输出|带)(好多|多少|几个)|好多人才|多少人才|几个人才|什么条件|哪样条件|啥条件|标准"
    r"|(有|给)(什么|哪样|啥子?|哪些|些啥)(奖励|奖补|补贴|补助|政策|鼓励)"
)
_OWN_AMOUNT = re.compile(
    r"(能|可以|可)(补|领|拿|报|申请)(好多|多少|几多)|(补|拿|领|报)(好多|多少)|算(一下|下|哈|算)|帮我算|咋个算|怎么算"
    r"|能(领|报|补|拿|申请)(不|吗|没)|可以(领|报|申请)(不|吗)|得不得|有没有份|够不够|还来得及|来不来得及|最(晚|迟)"
    r"|(想|要)(申请|领|报)"
)
_RULE_CUE = re.compile(r"全报|全部报|都能报|都报|上限|最多|最高|封顶|是补.{1,8}还是|按票价|按上限|报全|全额")
_TIER_QUESTION = re.compile(
    r"哪一?档|哪个档|什么档|几档|算(省外|省内|县外|县内|市内|市外)(不|吗|还是)|属于(省外|省内|县外|县内)"
    r"|算不算(省外|省内|县外|县内|市内|市外)|是不是(省外|省内|县外|县内)"
)
_QUESTION = re.compile(
    r"吗|么|嘛|咋|怎么|如何|哪|什么|啥|多少|好多|几|能不能|可不可以|是不是|得不得|[?？]|不$|没$"
)
_PERSON_SPLIT = re.compile(
    r"(?:另外|还有|再就是|第二个|第二户|第二位|二是)(?=[^，,。\s]{0,3}"
    r"(?:村民|他|她|[张王李赵刘陈杨黄周吴马朱胡郭何罗][大小老]?[哥姐叔伯爷嬢妹弟]|一户|一个人|一位|兄弟|老表|邻居))"
)


# FAQ keys of one part of a calculator's rule: a case stated with them still starts that calculator
_ORGANISING_ONLY = re.compile(
    r"组织|输出|经纪人|以奖代补|带(了|出去)|带[^，,。]{0,8}(人|户(?!口)|老乡|村民|工人)[^，,。]{0,3}(出去|去|到)"
)
_SUB_TOPICS = {
    "transport_documents": "transport_subsidy",
    "transport_where": "transport_subsidy",
    "transport_once_a_year": "transport_subsidy",
}


_POLICY_WORDS = re.compile(
    r"政策|补贴|补助|标准|最低工资|工资标准|稳岗|待遇|低保|社保|医保|奖励|扶持|有哪些|有哪样|啥子好处|福利"
)
_SUBJECT_AFTER = re.compile(r"\s*(那边|那里|那儿|那块|当地|这边|那头|的|省|市|县|州|地区|那个地方)")
_OWN_TRIP = r"(在|去|到|克|跑|跟着?.{0,4}去)\s*"
_WORK_AFTER = re.compile(r"^(市|省|县)?(打工|干活|上班|进厂|干了|做事|做工|务工)")
_THEIR_RULE = re.compile(
    r"(那边|那里|那儿|当地)的?.{0,4}(最低工资|工资标准|政策|补贴|稳岗|社保|医保|低保|待遇)"
)


def _chain_start(text: str, at: int) -> int:
    moved = True
    while moved and at > 0:
        moved = False
        for k in (4, 3, 2):
            seg = text[max(0, at - k) : at]
            place = parse_place(seg) if len(seg) == k else None
            if place is not None and place.matched == seg:
                at -= k
                moved = True
                break
    return at


def _own_case(text: str) -> bool:
    """The worker states his own figures (ticket, months, head count): his case, not a region's policy."""
    facts = intake.facts("transport_form", text, None, None, dt.date.today(), {})
    if {"ticket", "months"} & set(facts):
        return True
    return bool(intake.facts("organiser_form", text, None, None, dt.date.today(), {}).get("workers"))


def other_region(text: str) -> str | None:
    """The place, when a message asks about another region's policy ("昭通那边外出务工补贴是好多",
    "贵州那边的贫困户补助好多"); None for a Huize worker's own case ("在东莞打工 车费能补好多")."""
    text = intake.clean(text or "")
    if not _POLICY_WORDS.search(text) or _own_case(text) or _TIER_QUESTION.search(text):
        return None  # "沾益算县外还是市内": which of Huize's tiers a place is
    place = parse_place(text)
    if place is None or place.is_ambiguous or place.tier == "in_county" or place.kind == "scope":
        return None
    at = text.find(place.matched)
    if at < 0:
        return None
    at = _chain_start(text, at)  # "四川凉山…", "在昆明呈贡…": the bigger place named before it
    before, after = text[max(0, at - 6) : at], text[at + len(place.matched) :]
    subject = bool(_SUBJECT_AFTER.match(after))
    works_there = _WORK_AFTER.match(after)  # "浙江打工…": his workplace
    own = re.search(_OWN_TRIP + "$", before) or (works_there and not subject)
    transport = _TRANSPORT_SPECIFIC.search(text) or re.search(r"交通|车费|路费", text)
    if own:
        # his workplace: Huize's subsidies for his trip are in scope; "那边的最低工资" is not
        return place.display if _THEIR_RULE.search(text) and not transport else None
    return place.display if subject or at == 0 else None


def now() -> float:
    return time.time()


@dataclass
class Decision:
    calc: Calculator | None
    facts: dict = field(default_factory=dict)
    prefix: str = ""  # said before the calculator goes on ("好的，改成4个月：")
    prefix_key: str = ""  # a policy_kb answer said first (the rule, before the worker's own case)
    rule_line: bool = False  # say the cap of the tier understood before asking
    faq_key: str = ""  # answer this FAQ instead of calculating
    more_keys: tuple[str, ...] = ()  # a second rule question asked in the same message
    pending: dict | None = None  # a second person's case, for after this one
    old_destination: str | None = None


def _kept(slots: dict) -> dict | None:
    case = slots.get("last_case")
    if not case or case.get("calc") not in BY_NAME:
        return None
    if now() - float(case.get("at") or 0) > KEEP_SECONDS:
        return None
    return case


_HELPERS = {"destination", "in_qujing", "dispute_understood", "ticket_legs"}


def _real(facts: dict) -> dict:
    return {k: v for k, v in facts.items() if k not in _HELPERS and v is not None}


def read(calc: Calculator, text: str, intent: str | None, today: dt.date, known: dict | None = None) -> dict:
    return {k: v for k, v in calc.read(text, intent, None, today, known or {}).items() if v is not None}


def rule_question(text: str) -> str | None:
    keys = rule_questions(text)
    return keys[0] if keys else None


def _without_rule_words(text: str) -> str:
    for pattern, _ in _RULE_QUESTIONS:
        text = pattern.sub(" ", text)
    return re.sub(r"(一年|每年|今年|明年|去年|年年)", " ", text)


def rule_questions(text: str) -> list[str]:
    """Every rule question a message asks ("在哪里报 要带哪些东西": where, and the documents)."""
    return [key for pattern, key in _RULE_QUESTIONS if pattern.search(text)]


def _changes(calc: Calculator, old: dict, new: dict, merged: dict) -> str:
    said = []
    for slot, value in new.items():
        if slot in _HELPERS or old.get(slot) == value:
            continue
        words = calc.describe(slot, value, merged)
        if words and words not in said:
            said.append(words)
    return "、".join(said)


def _recompute(calc: Calculator, case: dict, facts: dict) -> Decision:
    old = dict(case.get("slots") or {})
    merged = {**old, **facts}
    if "tier" in facts and "destination" not in facts:
        merged.pop("destination", None)
    changed = _changes(calc, old, facts, merged)
    prefix = f"好的，改成{changed}：" if changed else "好的，还是按原来的算："
    decision = Decision(calc, merged, prefix=prefix, old_destination=old.get("destination"))
    if calc is TRANSPORT and facts.get("return_ticket") and not changed:
        decision.prefix = "还是按去的车票算："
        decision.prefix_key = "transport_return_ticket"
    merged.pop("return_ticket", None)
    return decision


def _prefer_organiser(calc: Calculator, text: str) -> Calculator:
    """ "组织建档立卡的克浙江 每个人能补好多": an organiser's question, though it names a status and a place."""
    if calc is TRANSPORT and _ORGANISING_ONLY.search(text) and not _TRANSPORT_SPECIFIC.search(text):
        return ORGANISER
    return calc


def _split_people(text: str) -> list[str]:
    parts = [p for p in _PERSON_SPLIT.split(text) if p and not re.fullmatch(r"[，,。\s]*", p)]
    return parts if len(parts) >= 2 else [text]


def _stated(text: str, intent: str | None, today: dt.date) -> tuple[Calculator, dict] | None:
    """The calculator whose case the text states, with its facts: a group outflow first (head counts),
    then a dispute date, then a transport case."""
    for calc in (ORGANISER, ARBITRATION, TRANSPORT):
        facts = read(calc, text, intent, today)
        if calc.enough(facts, text):
            return calc, facts
    return None


def _start(calc: Calculator, text: str, intent: str | None, today: dt.date) -> Decision:
    people = _split_people(text)
    if len(people) >= 2:
        first, rest = people[0], "".join(people[1:])
        facts = read(calc, first, intent, today)
        others = read(calc, rest, intent, today)
        if _real(facts) and _real(others):
            return Decision(calc, facts, pending={"calc": calc.name, "text": rest})
    return Decision(calc, read(calc, text, intent, today))


def start_pending(pending: dict, today: dt.date) -> Decision | None:
    calc = BY_NAME.get(pending.get("calc") or "")
    if calc is None:
        return None
    decision = Decision(calc, read(calc, pending.get("text") or "", None, today))
    decision.prefix = "接着算第二位："
    return decision


def decide(
    text: str, intent: str | None, faq_key: str | None, slots: dict, today: dt.date
) -> Decision | None:
    text = intake.clean(text or "")
    if text.startswith("/"):
        text = ""
    kept = _kept(slots)
    new_person = bool(_NEW_PERSON.search(text))
    asked = BY_INTENT.get(intent or "")
    topic_calc = for_topic(faq_key) or for_topic(_SUB_TOPICS.get(faq_key or "")) if intent == "faq" else None
    # 1. a rule question ("要带哪些东西", "找哪个部门") is answered, not calculated
    rule_keys = rule_questions(text)
    rule_key = rule_keys[0] if rule_keys else None
    if rule_key and (asked is TRANSPORT or topic_calc is TRANSPORT or _TRANSPORT_SPECIFIC.search(text)):
        # the question's own words are not facts ("一年能领几次" is no 12 months of work)
        facts = read(TRANSPORT, _without_rule_words(text), intent, today)
        again = kept and kept["calc"] == "transport" and rule_key == "transport_return_ticket"
        if not {"ticket", "months"} & set(facts) and not again:
            # "在宣威打工 补好多 要交哪些材料": the rule's answer, and the cap of the place named
            place = {k: facts[k] for k in ("tier", "destination", "in_qujing") if k in facts}
            facts = place if _OWN_AMOUNT.search(text) else {}
            return Decision(None, facts=facts, faq_key=rule_key, more_keys=tuple(rule_keys[1:2]))
        if not (kept and kept["calc"] == "transport"):
            # his own case with the rule question: the rule's answer, then his calculation
            decision = _start(TRANSPORT, text, intent, today)
            decision.prefix_key = rule_key
            decision.more_keys = tuple(rule_keys[1:2])
            return decision
    # 2. the kept case: a correction or follow-up recomputes it; a new person starts afresh
    correcting = bool(intake.CORRECTION.search(text))
    if kept and (intent != "faq" or correcting or (topic_calc and topic_calc.name == kept["calc"])):
        calc = BY_NAME[kept["calc"]]
        stated = _stated(text, intent, today)
        # the intent may name another calculator for a bare correction ("那天是五十天前 我记混了")
        weak = asked is not None and asked is not calc and not _real(read(asked, text, intent, today))
        if (asked is None or asked is calc or weak) and (stated is None or stated[0] is calc):
            if new_person and not correcting:
                return _start(calc, text, intent, today)
            facts = read(calc, text, intent, today, kept.get("slots"))
            if _real(facts):
                return _recompute(calc, kept, facts)
    # an organiser asking about both groups: the 建档立卡 tiers and 以奖代补, unless he counts heads
    if (
        intake.both_groups(text)
        and _ORGANISING_ONLY.search(text)
        and not read(ORGANISER, text, intent, today).get("workers")
    ):
        return Decision(None, faq_key="organiser_subsidy", more_keys=("organiser_reward",))
    # 3. a worker asks for his own amount or date
    if asked is not None:
        stated = _stated(text, intent, today)
        # an organiser's group, or a worker's own trip, whatever the intent said
        if (
            stated is not None
            and stated[0] is not asked
            and (stated[0] is ORGANISER or not asked.enough(read(asked, text, intent, today), text))
        ):
            asked = stated[0]
        asked = _prefer_organiser(asked, text)
        if asked is TRANSPORT and _about_a_dispute(text) and not _TRANSPORT_SPECIFIC.search(text):
            # "过了…天就告不赢了 是不是真的": the days are the arbitration rule's, not months of work
            if not read(ARBITRATION, text, intent, today).get("dispute_date"):
                return Decision(None, faq_key="arbitration_deadline")
            asked = ARBITRATION
        rule = _organiser_rule(asked, text, intent, today)
        if rule is not None:
            return rule
        decision = _start(asked, text, intent, today)
        _rule_first(decision, text)
        return decision
    # 4. a yes, or facts, right after a calculator-type answer
    last = for_topic(slots.get("last_topic"))
    if last is not None and intent in ("affirm", "inform", "deny"):
        facts = read(last, text, intent, today)
        if intent == "affirm" or _real(facts):
            said_poor = re.search(r"建档|贫困|卡户", text)
            if intent == "affirm" and last is TRANSPORT and "registered_poor" not in facts and said_poor:
                facts["registered_poor"] = True
            return Decision(last, facts)
    # 5. which tier a place is ("去昭通打工算哪一档"): the calculator, with the cap of that place first
    if _TIER_QUESTION.search(text):
        facts = read(TRANSPORT, text, intent, today)
        if facts.get("tier"):
            decision = Decision(TRANSPORT, facts)
            decision.rule_line = True
            return decision
    # "景洪那边割胶 路费能补好多": his own trip's amount, asked with the place only
    if _TRANSPORT_SPECIFIC.search(text) and _OWN_AMOUNT.search(text):
        facts = read(TRANSPORT, text, intent, today)
        if facts.get("tier") and not ORGANISER.enough(read(ORGANISER, text, intent, today), text):
            decision = _start(TRANSPORT, text, intent, today)
            decision.rule_line = True
            return decision
    # 6. a case stated without the trigger words
    stated = _stated(text, intent, today)
    if stated is None:
        return None
    calc = _prefer_organiser(stated[0], text)
    rule = _organiser_rule(calc, text, intent, today)
    if rule is not None:
        return rule
    if intent == "faq":
        # an FAQ question starts a calculator only when it asks for the worker's own amount or date
        own = topic_calc is calc or (calc.words.search(text) and _OWN_AMOUNT.search(text))
        # a whole case told without a question ("卡户 跟县里输出去的广东 干了5个月 车票四百") is his own
        own = own or (
            not _QUESTION.search(text) and len(set(_real(stated[1])) - _PLACE_DETAIL) >= _WHOLE_CASE
        )
        if not own or (calc is ARBITRATION and not ARBITRATION.words.search(text)):
            return None
    elif intent == "nlu_fallback" and _QUESTION.search(text) and not _OWN_AMOUNT.search(text):
        return None
    decision = _start(calc, text, intent, today)
    if intent not in ("inform", "affirm", "deny"):
        _rule_first(decision, text)
    return decision


def _organiser_rule(calc: Calculator, text: str, intent: str | None, today: dt.date) -> Decision | None:
    """ "要组织好多人才有奖励", "组织非建档立卡的有什么奖励": the rule (建档立卡 tiers or 以奖代补), not a
    calculation, while no head count is given."""
    if calc is not ORGANISER or not _ORGANISER_RULE.search(text):
        return None
    group = read(ORGANISER, text, intent, today)
    if group.get("workers"):
        return None
    return Decision(
        None, faq_key="organiser_reward" if group.get("workers_poor") is False else "organiser_subsidy"
    )


_DISPUTE_WORDS = re.compile(r"仲裁|告(不|得|赢|他|老板|厂|状)|起诉|打官司|时效")
_DAYS = re.compile(rf"({NUM})\s*天")


def _about_a_dispute(text: str) -> bool:
    """Words of a dispute, or the Q&A sheet's day limit itself ("过了六十天…")."""
    if _DISPUTE_WORDS.search(text):
        return True
    limit = policy.get().value("arbitration.qa_limit_days")
    for m in _DAYS.finditer(text):
        read_as = number_value(m.group(1))
        if read_as and read_as[0] == limit:
            return True
    return False


_WHOLE_CASE = 3  # facts of a case told without a question that make it the worker's own
_PLACE_DETAIL = {"destination", "in_qujing"}  # said with the tier, not facts of their own


def _rule_first(decision: Decision, text: str) -> None:
    """A question about the amount gets the rule before the questions: the caps, or the amount for the
    place named."""
    if decision.calc is ORGANISER:
        decision.rule_line = bool(decision.facts.get("tier")) and bool(_OWN_AMOUNT.search(text))
        return
    if decision.calc is not TRANSPORT:
        return
    if _RULE_CUE.search(text) or not decision.facts.get("tier"):
        if _RULE_CUE.search(text) or _OWN_AMOUNT.search(text):
            decision.prefix_key = "transport_cap_rule"
    else:
        decision.rule_line = True


def other_calculator(
    current: Calculator, text: str, intent: str | None, faq_key: str | None
) -> Calculator | None:
    """Mid-form: another calculator asked for by name ("我想算一下车票补助" while computing a deadline)."""
    asked = BY_INTENT.get(intent or "")
    if asked is not None and asked is not current:
        return asked
    topic = for_topic(faq_key) if intent == "faq" else None
    if topic is not None and topic is not current and _OWN_AMOUNT.search(text or ""):
        return topic
    return None


__all__ = ["CALCULATORS", "Decision", "decide", "now", "other_calculator", "rule_question", "start_pending"]
