"""Who did what and when: every staff action is written here in the same transaction as the action."""

from __future__ import annotations

import json

import sqlite_utils

from bot.gateway.admin import clock

# action names, as stored and as the audit page shows them
LABELS = {
    "login": "登录",
    "login_failed": "登录失败",
    "login_refused": "登录被拒（尝试太频繁）",
    "csrf_refused": "提交被拒（CSRF 校验失败）",
    "logout": "退出",
    "staff_reply": "回复工人",
    "review": "标记已看",
    "unreview": "取消已看",
    "tag_add": "加标签",
    "tag_remove": "删标签",
    "note_add": "写备注",
    "correct": "更正意图",
    "correction_delete": "删除更正",
    "handoff_handled": "转人工已处理",
    "export_csv": "导出对话 CSV",
    "export_nlu": "导出训练数据",
    "user_created": "新建账号",
    "password_set": "改密码",
    "user_disabled": "停用账号",
}


def log(
    db: sqlite_utils.Database,
    staff: str,
    action: str,
    *,
    conversation_id: int | None = None,
    message_id: int | None = None,
    **detail,
) -> None:
    if action not in LABELS:
        raise ValueError(f"unknown audit action {action!r}")
    db["admin_audit"].insert(
        {
            "at": clock.now_iso(),
            "staff": staff,
            "action": action,
            "conversation_id": conversation_id,
            "message_id": message_id,
            "detail": json.dumps(detail, ensure_ascii=False) if detail else None,
        }
    )


def recent(db: sqlite_utils.Database, *, limit: int = 200, conversation_id: int | None = None) -> list[dict]:
    where, params = "", []
    if conversation_id is not None:
        where, params = "WHERE conversation_id = ?", [conversation_id]
    rows = db.execute(
        f"SELECT id, at, staff, action, conversation_id, message_id, detail FROM admin_audit {where}"
        " ORDER BY id DESC LIMIT ?",
        [*params, limit],
    ).fetchall()
    return [
        {
            "id": row[0],
            "at": row[1],
            "staff": row[2],
            "action": row[3],
            "label": LABELS.get(row[3], row[3]),
            "conversation_id": row[4],
            "message_id": row[5],
            "detail": json.loads(row[6]) if row[6] else {},
        }
        for row in rows
    ]
