"""End to end: the real Rasa server and action server, talked to through the REST webhook."""

from __future__ import annotations

import json
import sqlite3
import uuid
from pathlib import Path

import pytest
import requests

from bot.tools.stack import process_tree
from tests.e2e.questions import QUESTIONS

pytestmark = pytest.mark.e2e


def ask(stack, message, sender=None):
    reply = requests.post(
        stack.webhook, json={"sender": sender or uuid.uuid4().hex, "message": message}, timeout=60
    )
    assert reply.status_code == 200
    return reply.json()


def texts(replies):
    return "\n".join(r.get("text", "") for r in replies)


@pytest.mark.parametrize("key", sorted(QUESTIONS))
def test_every_faq_is_answered_from_policy_kb(stack, kb, key):
    replies = ask(stack, QUESTIONS[key])
    assert replies[0]["text"] == kb.render(key)
    details = kb.answers[key].details
    assert texts(replies[1:]) == (kb.fill(details).strip() if details else "")  # a question gets both


@pytest.mark.parametrize(
    "key, message, facts",
    [
        ("outflow_office", "县里哪个部门牵头组织外出务工", ["0874-5120155", "《转移就业政策问答》第6问"]),
        ("report_illegal_employment", "发现单位违法用工找哪个举报", ["0874-5125539", "第8问"]),
        ("unpaid_wages", "老板拖欠工资怎么办", ["60天", "1年", "12333", "0874-5125539", "第9问"]),
        (
            "transport_subsidy",
            "外出务工交通补助标准是多少",
            ["500元", "300元", "100元", "会政发〔2018〕20号第16条"],
        ),
        (
            "organiser_subsidy",
            "组织劳动力外出务工有什么补贴",
            ["300元", "200元", "100元", "农村劳务经纪人", "0874-5120155"],
        ),
        ("organiser_reward", "组织非建档立卡的出去打工有什么奖励", ["10元", "50元", "以奖代补"]),
        # the phones alone would pass on the fallback reply, which gives them too: the answer's own words
        ("hotline_12333", "12333是什么电话", ["12333", "免费的人社政策咨询热线", "0874-5125539", "第10问"]),
    ],
)
def test_key_facts_and_citations(stack, key, message, facts):
    answer = texts(ask(stack, message))
    for fact in facts:
        assert fact in answer, f"{key}: {fact!r} missing"


def test_greeting_shows_the_menu(stack, kb):
    replies = ask(stack, "你好")
    assert replies[0]["text"] == kb.render("greet")
    assert [b["title"] for b in replies[0]["buttons"]][0] == kb.answers["unpaid_wages"].title


def test_a_menu_button_answers_its_topic(stack, kb):
    replies = ask(stack, '/faq{"topic":"yulu_plan"}')
    assert texts(replies) == kb.render("yulu_plan")


def test_two_questions_in_one_message_get_two_answers(stack, kb):
    replies = ask(stack, "1.老板拖欠工资怎么办？2.外出务工交通补助标准是多少？")
    body = texts(replies)
    assert body.startswith("【第1问】")
    assert kb.render("unpaid_wages") in body and kb.render("transport_subsidy") in body


@pytest.mark.parametrize("message", ["明天会泽会下雨吗", "给我讲个笑话", "我想办身份证"])
def test_out_of_scope_never_gets_a_policy_answer(stack, kb, message):
    replies = ask(stack, message)
    # our refusal, or "did you mean" with topic buttons: both give the phones, neither answers a policy
    assert replies[0]["text"] in (kb.render("out_of_scope"), kb.render("fallback")), replies
    assert "来源：" not in texts(replies)


@pytest.mark.parametrize(
    "message, key",
    [
        ("", "bad_input"),
        ("   ", "bad_input"),
        ("😀😀😀", "bad_input"),
        ("？？！！。。", "bad_input"),
        (None, "bad_input"),
        ("工资" * 2500, "too_long"),
    ],
)
def test_bad_input_gets_a_polite_answer(stack, kb, message, key):
    replies = ask(stack, message)
    assert replies[0]["text"] == kb.render(key)


def test_malformed_body_is_not_an_error(stack, kb):
    reply = requests.post(
        stack.webhook, data=b"{not json", headers={"Content-Type": "application/json"}, timeout=30
    )
    assert reply.status_code == 200
    assert reply.json()[0]["text"] == kb.render("bad_input")  # a polite answer, not just "no crash"


def test_mixed_pinyin_and_english_does_not_crash(stack, kb):
    replies = ask(stack, "boss 不给 gongzi zenme ban")
    # either understood as the wages question, or a "did you mean" offering it: never an error
    wages = kb.answers["unpaid_wages"].title
    assert replies[0]["text"] == kb.render("unpaid_wages") or (
        replies[0]["text"] == kb.render("fallback") and wages in [b["title"] for b in replies[0]["buttons"]]
    ), replies


def test_conversations_are_kept_in_the_sqlite_tracker_store(stack, tmp_path_factory):
    sender = "keep-" + uuid.uuid4().hex
    replies = ask(stack, "老板拖欠工资怎么办", sender)
    db = next(tmp_path_factory.getbasetemp().glob("stack*/tracker.db"))
    with sqlite3.connect(db) as conn:
        said = conn.execute(
            "select type_name, data from events where sender_id = ? and type_name in ('user', 'bot') order by id",
            (sender,),
        ).fetchall()
    assert [(kind, json.loads(data)["text"]) for kind, data in said] == [
        ("user", "老板拖欠工资怎么办"),
        *(("bot", reply["text"]) for reply in replies),
    ]


def test_turn_info_for_the_gateway(stack):
    reply = requests.post(
        stack.webhook,
        json={"sender": uuid.uuid4().hex, "message": "老板拖欠工资怎么办"},
        headers={"X-Want-Turn-Info": "1"},
        timeout=60,
    )
    info = json.loads(reply.headers["X-Turn-Info"])
    assert info["intent"] == "faq" and info["faq_key"] == "faq/unpaid_wages"
    assert 0 < info["confidence"] <= 1 and info["actions"] == ["action_answer_faq"] and info["error"] is False
    plain = requests.post(stack.webhook, json={"sender": "x", "message": "你好"}, timeout=60)
    assert "X-Turn-Info" not in plain.headers


def test_turn_info_of_a_form_turn_names_this_turns_actions(stack):
    """The summary comes from the tracker this turn saved, not from an earlier turn of the worker."""
    sender = "info-" + uuid.uuid4().hex
    for message, intent, actions in (
        ("老板拖欠工资怎么办", "faq", ["action_answer_faq"]),
        ("帮我算下交通补助", "check_transport_subsidy", ["action_take_facts", "transport_form"]),
    ):
        reply = requests.post(
            stack.webhook,
            json={"sender": sender, "message": message},
            headers={"X-Want-Turn-Info": "1"},
            timeout=60,
        )
        info = json.loads(reply.headers["X-Turn-Info"])
        assert info["intent"] == intent and info["actions"][: len(actions)] == actions, message


def test_rasa_runs_its_workers_sharing_the_sqlite_lock_store(stack):
    from bot.tools.stack import rasa_workers

    workers = rasa_workers()
    # Sanic's main process and its workers (Rasa refuses more than one with an in-memory lock store)
    assert len(process_tree(stack.processes["rasa"].pid)) == (1 + workers if workers > 1 else 1)


def test_messages_of_one_conversation_sent_at_once_are_all_answered_in_turn(stack, kb, tmp_path_factory):
    """Two workers, one conversation: the lock store lets one message in at a time, none is lost."""
    from concurrent.futures import ThreadPoolExecutor

    sender = "burst-" + uuid.uuid4().hex
    keys = ["unpaid_wages", "hotline_12333", "yulu_plan", "startup_loan"]
    messages = [QUESTIONS[key] for key in keys]
    with ThreadPoolExecutor(len(messages)) as pool:
        replies = list(pool.map(lambda m: ask(stack, m, sender), messages))
    # each message got its own answer, not another one's (nor an error or an empty reply)
    assert [r[0]["text"] if r else None for r in replies] == [kb.render(key) for key in keys]
    db = next(tmp_path_factory.getbasetemp().glob("stack*/tracker.db"))
    with sqlite3.connect(db) as conn:
        said = [
            json.loads(row[0])["text"]
            for row in conn.execute(
                "select data from events where sender_id = ? and type_name = 'user' order by id", (sender,)
            )
        ]
    assert sorted(said) == sorted(messages)
    # each question was answered before the next one was read: user and bot turns alternate
    with sqlite3.connect(db) as conn:
        kinds = [
            row[0]
            for row in conn.execute(
                "select type_name from events where sender_id = ? and type_name in ('user', 'bot') order by id",
                (sender,),
            )
        ]
    turns = [kind for i, kind in enumerate(kinds) if i == 0 or kind != kinds[i - 1]]
    assert turns == ["user", "bot"] * len(messages)


def test_rasa_http_api_needs_the_instance_token_which_no_command_line_shows(stack):
    """Issue #13, item 6: nobody else on the host reads a tracker or writes events into a conversation."""
    tracker = f"{stack.rasa_url}/conversations/someone/tracker"
    assert requests.get(tracker, timeout=30).status_code == 401
    assert requests.get(tracker, params={"token": "guess"}, timeout=30).status_code == 401
    event = {"event": "slot", "name": "requested_slot", "value": None}
    refused = requests.post(f"{tracker}/events", json=event, timeout=30)
    assert refused.status_code == 401
    assert requests.get(tracker, params={"token": stack.rasa_token}, timeout=30).status_code == 200
    assert requests.post(
        stack.webhook, json={"sender": "t", "message": "你好"}, timeout=60
    ).ok  # the channel needs none
    for pid in process_tree(stack.processes["rasa"].pid):
        assert stack.rasa_token.encode() not in Path(f"/proc/{pid}/cmdline").read_bytes()
