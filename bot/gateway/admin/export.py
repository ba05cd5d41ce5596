"""Exports: corrections as Rasa NLU training data (YAML), transcripts as CSV for Excel.

The YAML is what `rasa data validate` and Rasa's own reader accept: `version: "3.1"`, one block per
intent, FAQ keys as retrieval intents (`- intent: faq/<key>`), one example per line. Example texts are
flattened to one line, and brackets that Rasa would read as an entity annotation ("[x](y)") become
full-width, so a worker's text can never smuggle an entity or break the file.

The CSV is UTF-8 with a BOM (Excel on Windows reads Chinese correctly only then), with Chinese headers and
names (labels), each code in a column of its own, confidences to two decimals. Cells that Excel would run
as a formula (=, +, -, @ first) get a leading apostrophe.
"""

from __future__ import annotations

import csv
import io
import re
from collections import OrderedDict

import sqlite_utils

from bot.gateway.admin import catalog as intents_catalog
from bot.gateway.admin import clock, labels, queries, schema
from bot.gateway.admin.filters import Filters

NLU_VERSION = "3.1"
INTENT_NAME = re.compile(r"^[\w./-]+$")
ENTITY_SYNTAX = re.compile(r"\[[^\]\n]*\]\s*[({\[]")
# what YAML may not carry even inside a block scalar
NOT_PRINTABLE = re.compile("[^\x09\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

CSV_COLUMNS = [
    "会话",
    "渠道",
    "发送者",
    "消息",
    "时间",
    "谁说的",
    "内容",  # as the worker saw it: a tapped button's title
    "按钮代码",
    "意图",
    "意图代码",  # the FAQ key, else the intent
    "置信度",
    "动作",
    "耗时（毫秒）",
    "错误",
    "评价",
    "更正为",
    "更正为代码",
    "已看",
    "标签",
]
SPEAKERS = {"in": "工人", "out": "机器人"}


def example_text(text: str) -> str:
    """One line of training data, as Rasa will read it back."""
    line = " ".join(NOT_PRINTABLE.sub(" ", text).split())
    line = line.lstrip("- ")  # Rasa strips these from the start of an example anyway
    if ENTITY_SYNTAX.search(line):
        line = line.replace("[", "［").replace("]", "］")
    return line


def nlu_yaml(corrections: list[dict], catalog: intents_catalog.Catalog, *, staff: str) -> tuple[str, int]:
    """The YAML file and how many examples it holds."""
    by_intent: OrderedDict[str, list[str]] = OrderedDict()
    already: list[str] = []
    conflicts: list[str] = []
    for row in sorted(corrections, key=lambda r: (r["intent"], r["id"])):
        intent, text = row["intent"], example_text(row["text"])
        if not text or not INTENT_NAME.match(intent):
            continue
        trained_as = catalog.examples.get(text)
        if trained_as == intent:
            already.append(text)
            continue
        if trained_as:
            conflicts.append(f"{text}  ({trained_as} → {intent})")
        examples = by_intent.setdefault(intent, [])
        if text not in examples:
            examples.append(text)
    count = sum(len(v) for v in by_intent.values())
    lines = [
        "# 会泽务工助手 — corrections from the helpdesk console",
        f"# exported {clock.local(clock.now_iso())} by {example_text(staff)}: {count} examples, {len(by_intent)} intents",
        "# Check each example, then move it into the matching file of nlu_data/nlu/ and retrain.",
    ]
    if already:
        lines.append(f"# left out, already in the training data with the same intent: {len(already)}")
    if conflicts:
        lines.append("# in the training data under another intent (remove the old example there):")
        lines += [f"#   {conflict}" for conflict in conflicts]
    lines += [f'version: "{NLU_VERSION}"', ""]
    if not by_intent:
        lines.append("nlu: []")
    else:
        lines.append("nlu:")
        for intent, examples in by_intent.items():
            lines += [f"- intent: {intent}", "  examples: |"]
            lines += [f"    - {text}" for text in examples]
            lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n", count


def corrections_yaml(db: sqlite_utils.Database, filters: Filters, *, staff: str) -> tuple[str, int]:
    return nlu_yaml(queries.corrections(db, filters), intents_catalog.get(), staff=staff)


def safe_cell(value: object) -> object:
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def transcripts_csv(db: sqlite_utils.Database, filters: Filters) -> tuple[bytes, int]:
    """The messages of the filtered conversations (inside the date range when one is set), and the count."""
    ids = queries.conversation_ids(db, filters)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    start, end = filters.time_bounds()
    rows = 0
    for chunk in _chunks(ids, 500):
        marks = ", ".join("?" for _ in chunk)
        bounds, params = "", list(chunk)
        if start:
            bounds += " AND m.created_at >= ?"
            params.append(start)
        if end:
            bounds += " AND m.created_at < ?"
            params.append(end)
        tags = queries.tags_of(db, chunk)
        cursor = db.execute(
            "SELECT m.conversation_id, c.channel, c.sender, m.id, m.created_at, m.direction, m.text,"
            " coalesce(m.faq_key, m.intent), m.confidence, m.actions, m.latency_ms, m.error, k.intent,"
            f" r.conversation_id IS NOT NULL, {schema.optional_columns_sql(db)}"
            " FROM messages m JOIN conversations c ON c.id = m.conversation_id"
            " LEFT JOIN admin_corrections k ON k.message_id = m.id"
            " LEFT JOIN admin_reviews r ON r.conversation_id = m.conversation_id"
            f" WHERE m.conversation_id IN ({marks}){bounds}"
            " ORDER BY c.last_at DESC, m.conversation_id DESC, m.id",
            params,
        )
        for row in cursor.fetchall():
            conversation, channel, sender, message, at, direction, text, intent, confidence = row[:9]
            actions, latency, error, corrected, reviewed, payload, feedback = row[9:]
            text, payload = labels.shown(text, payload)
            values = [
                conversation,
                labels.channel(channel),
                sender,
                message,
                clock.local(at, "%Y-%m-%d %H:%M:%S"),
                SPEAKERS.get(direction, direction),
                text,
                payload,
                labels.intent(intent) if intent else None,
                intent,
                f"{confidence:.2f}" if confidence is not None else None,
                " → ".join(queries.json_list(actions)),
                latency,
                error,
                labels.feedback(feedback),
                labels.intent(corrected) if corrected else None,
                corrected,
                "是" if reviewed else "否",
                " ".join(tags.get(conversation, [])),
            ]
            writer.writerow([safe_cell(v) if v is not None else "" for v in values])
            rows += 1
    return out.getvalue().encode("utf-8-sig"), rows


def _chunks(items: list, size: int):
    for at in range(0, len(items), size):
        yield items[at : at + size]
