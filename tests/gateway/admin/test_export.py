"""Exports: corrections as Rasa NLU YAML (read back with Rasa's own reader), transcripts as Excel-ready CSV."""

from __future__ import annotations

import codecs
import csv
import io
import json

import pytest

from bot.gateway.admin import catalog, export
from tests.gateway.admin import seeding


@pytest.fixture
def corrected(staff, seeded):
    """Two corrections: a retrieval intent (FAQ key) and an ordinary intent, in different channels."""
    low = seeded.user_messages["low_recent"][0]  # 车票钱能报吗 (web)
    handoff_hello = seeded.user_messages["handoff"][0]  # 你好 (wechat) → say it was a greeting … as FAQ
    fallback = seeded.user_messages["two_fallbacks"][1]  # 就是那个钱嘛 (web)
    assert (
        staff.post(f"/admin/messages/{low}/correction", {"intent": "check_transport_subsidy"}).status_code
        == 302
    )
    assert (
        staff.post(f"/admin/messages/{fallback}/correction", {"intent": "faq/unpaid_wages"}).status_code
        == 302
    )
    assert (
        staff.post(f"/admin/messages/{handoff_hello}/correction", {"intent": "faq/hotline_12333"}).status_code
        == 302
    )
    return staff


def load_with_rasa(tmp_path, text: str):
    from rasa.shared.nlu.training_data.loading import load_data

    path = tmp_path / "corrections.yml"
    path.write_text(text, encoding="utf-8")
    return load_data(str(path))


def examples(training_data) -> dict[str, str]:
    """text → intent as Rasa reads it (a retrieval intent as "faq/<key>")."""
    found = {}
    for message in training_data.intent_examples:
        found[message.get("text")] = message.get("intent_response_key") or message.get("intent")
    return found


def test_the_nlu_export_loads_with_rasa_and_holds_the_corrections(corrected, db, tmp_path):
    response = corrected.get("/admin/export/corrections.yml")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith('attachment; filename="corrections-')
    text = response.get_data(as_text=True)
    assert "- intent: faq/unpaid_wages\n  examples: |\n    - 就是那个钱嘛\n" in text
    data = load_with_rasa(tmp_path, text)
    assert examples(data) == {
        "车票钱能报吗": "check_transport_subsidy",
        "就是那个钱嘛": "faq/unpaid_wages",
        "你好": "faq/hotline_12333",
    }
    faq_message = next(m for m in data.intent_examples if m.get("text") == "就是那个钱嘛")
    assert faq_message.get("intent") == "faq"  # Rasa's retrieval intent with its response key
    audit = list(db.query("SELECT staff, action, detail FROM admin_audit WHERE action = 'export_nlu'"))
    assert len(audit) == 1 and audit[0]["staff"] == "amei"
    assert json.loads(audit[0]["detail"]) == {"examples": 3, "filters": {}}


def test_the_nlu_export_respects_the_filters(corrected, tmp_path):
    web = corrected.get("/admin/export/corrections.yml?channel=web").get_data(as_text=True)
    assert set(examples(load_with_rasa(tmp_path, web))) == {"车票钱能报吗", "就是那个钱嘛"}
    fallback = corrected.get("/admin/export/corrections.yml?fallback=1").get_data(as_text=True)
    assert examples(load_with_rasa(tmp_path, fallback)) == {"就是那个钱嘛": "faq/unpaid_wages"}
    # the corrections page lists the same and links the export with the filters
    page = corrected.get("/admin/corrections?fallback=1").text
    assert '<span class="count" id="corrections-count">1</span>' in page
    assert 'href="/admin/export/corrections.yml?fallback=1"' in page


def test_an_empty_export_is_still_valid(staff, seeded, tmp_path):
    text = staff.get("/admin/export/corrections.yml").get_data(as_text=True)
    assert "nlu: []" in text
    assert load_with_rasa(tmp_path, text).intent_examples == []


def test_hostile_texts_stay_one_plain_example(app, tmp_path):
    rows = [
        {"id": 1, "intent": "faq/unpaid_wages", "text": "工资[500](amount)没给"},  # would be an entity
        {"id": 2, "intent": "faq/unpaid_wages", "text": "第一行\n- intent: greet\n  examples: |"},
        {"id": 3, "intent": "faq/unpaid_wages", "text": "# 不是注释 \u2028 也不是换行"},
        {"id": 4, "intent": "faq/unpaid_wages", "text": "\"引号\" '单引号' : 冒号 {花括号}"},
        {"id": 5, "intent": "greet", "text": "   "},  # nothing left: skipped
    ]
    with app.app_context():
        text, count = export.nlu_yaml(rows, catalog.get(), staff="amei")
    assert count == 4
    data = load_with_rasa(tmp_path, text)
    assert examples(data) == {
        "工资［500］(amount)没给": "faq/unpaid_wages",
        "第一行 - intent: greet examples: |": "faq/unpaid_wages",
        "# 不是注释 也不是换行": "faq/unpaid_wages",
        "\"引号\" '单引号' : 冒号 {花括号}": "faq/unpaid_wages",
    }
    assert all(not m.get("entities") for m in data.intent_examples)


def test_examples_already_in_the_training_data_are_left_out(app, tmp_path):
    with app.app_context():
        known = catalog.get()
        text_in_data, intent_in_data = next(iter(known.examples.items()))
        other = next(name for name in known.faq_keys if name != intent_in_data)
        rows = [
            {"id": 1, "intent": intent_in_data, "text": text_in_data},  # the same: nothing to add
            {"id": 2, "intent": other, "text": text_in_data},  # trained under another intent: flagged
        ]
        text, count = export.nlu_yaml(rows, known, staff="amei")
    assert count == 1
    assert "# left out, already in the training data with the same intent: 1" in text
    assert f"#   {text_in_data}  ({intent_in_data} → {other})" in text
    assert examples(load_with_rasa(tmp_path, text)) == {text_in_data: other}


def read_csv(body: bytes) -> list[dict]:
    assert body.startswith(codecs.BOM_UTF8)
    return list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"), newline="")))


def test_the_csv_has_a_bom_and_round_trips(staff, seeded, db):
    staff.post(f"/admin/conversations/{seeded.conversations['wages']}/review", {"reviewed": "1"})
    staff.post(f"/admin/conversations/{seeded.conversations['wages']}/tags", {"tag": "仲裁"})
    response = staff.get("/admin/export/transcripts.csv")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"].startswith('attachment; filename="transcripts-')
    rows = read_csv(response.data)
    assert len(rows) == db["messages"].count == 24
    assert list(rows[0]) == export.CSV_COLUMNS
    wages = [row for row in rows if row["会话"] == str(seeded.conversations["wages"])]
    assert [(r["谁说的"], r["内容"]) for r in wages] == [
        ("工人", seeding.ARBITRATION),
        ("机器人", "先找老板协商，不行就打12333。"),
    ]
    first = wages[0]
    assert (first["意图"], first["意图代码"], first["置信度"]) == ("拖欠工资", "faq/unpaid_wages", "0.93")
    assert (first["动作"], first["耗时（毫秒）"], first["已看"], first["标签"]) == (
        "action_answer_faq",
        "300",
        "是",
        "仲裁",
    )
    xss = next(r for r in rows if r["谁说的"] == "工人" and r["内容"] == seeding.XSS)
    assert (xss["意图"], xss["意图代码"]) == ("超出范围", "out_of_scope")
    audit = list(db.query("SELECT detail FROM admin_audit WHERE action = 'export_csv'"))
    assert json.loads(audit[0]["detail"]) == {"rows": 24, "filters": {}}


def test_the_csv_respects_the_filters(staff, seeded):
    rows = read_csv(staff.get("/admin/export/transcripts.csv?handoff=1").data)
    assert {r["会话"] for r in rows} == {str(seeded.conversations["handoff"])}
    assert len(rows) == 4
    rows = read_csv(staff.get("/admin/export/transcripts.csv?q=仲裁").data)
    assert {r["会话"] for r in rows} == {str(seeded.conversations["wages"])}
    rows = read_csv(staff.get("/admin/export/transcripts.csv?channel=nowhere").data)
    assert rows == []


def test_csv_cells_never_become_excel_formulas(staff, seeded, db):
    import datetime as dt

    seeding.write_conversation(
        db,
        "web",
        "w-formula",
        dt.datetime.now(dt.timezone.utc),
        [seeding.fallback('=HYPERLINK("http://x","点我")', 0.2)],
    )
    rows = read_csv(staff.get("/admin/export/transcripts.csv?q=HYPERLINK").data)
    assert rows[0]["内容"] == '\'=HYPERLINK("http://x","点我")'
