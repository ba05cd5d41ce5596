"""The inbox: newest first, every filter with its count, Chinese full-text search, paging, hostile input."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.gateway.admin import search
from tests.gateway.admin import seeding
from tests.gateway.admin.conftest import build_app, create_user, login
from tests.gateway.admin.pages import chip_counts, inbox_ids, total


def local_today() -> dt.date:
    return (dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=8)).date()  # Asia/Shanghai


def last_week() -> dict:
    today = local_today()
    return {"from": (today - dt.timedelta(days=6)).isoformat(), "to": today.isoformat()}


def ids(staff, **args) -> list[int]:
    response = staff.get("/admin/", query_string=args)
    assert response.status_code == 200
    return inbox_ids(response.text)


def test_newest_first_with_all_counts(staff, seeded):
    page = staff.get("/admin/").text
    by_age = sorted(seeding.CONVERSATIONS, key=lambda name: seeding.CONVERSATIONS[name][2])
    assert inbox_ids(page) == [seeded.conversations[name] for name in by_age]
    assert total(page) == 8
    assert chip_counts(page) == {
        "low": 4,
        "fallback": 2,
        "handoff": 1,
        "down": 0,
        "unreviewed": 8,
        "reviewed": 0,
    }


def test_low_confidence_of_the_last_week(staff, seeded):
    assert set(ids(staff, low="1", **last_week())) == seeded.ids(seeding.LOW_LAST_WEEK)
    assert set(ids(staff, low="1")) == seeded.ids(seeding.LOW_ALL)
    # the threshold is adjustable: below 0.4 leaves the two conversations with 0.31/0.28 and 0.35
    assert set(ids(staff, low="1", threshold="0.4")) == seeded.ids({"two_fallbacks", "apart_fallbacks"})
    assert set(ids(staff, low="1", threshold="0.3")) == seeded.ids({"two_fallbacks"})
    page = staff.get("/admin/", query_string={"low": "1", **last_week()}).text
    assert total(page) == 3
    # counts on the chips are on top of the chosen filters
    assert chip_counts(page) == {
        "low": 3,
        "fallback": 2,
        "handoff": 0,
        "down": 0,
        "unreviewed": 3,
        "reviewed": 0,
    }


def test_date_range_is_in_local_days(staff, seeded):
    today = local_today()
    old = (today - dt.timedelta(days=20)).isoformat()
    assert ids(staff, **{"from": old, "to": old}) == [seeded.conversations["low_old"]]
    assert len(ids(staff, **last_week())) == 7
    assert ids(staff, **{"from": (today + dt.timedelta(days=1)).isoformat()}) == []


def test_channel_intent_fallback_handoff(staff, seeded):
    assert set(ids(staff, channel="wechat")) == seeded.ids({"handoff", "fine"})
    assert set(ids(staff, intent="faq/transport_subsidy")) == seeded.ids({"apart_fallbacks", "low_recent"})
    assert set(ids(staff, intent="human_handoff")) == seeded.ids({"handoff"})
    assert set(ids(staff, fallback="1")) == seeded.ids(seeding.FALLBACK)
    assert set(ids(staff, handoff="1")) == seeded.ids({"handoff"})
    assert set(ids(staff, fallback="1", channel="wechat")) == set()


def test_reviewed_and_tag_filters(staff, seeded):
    wages, xss = seeded.conversations["wages"], seeded.conversations["xss"]
    staff.post(f"/admin/conversations/{wages}/review", {"reviewed": "1"})
    staff.post(f"/admin/conversations/{xss}/tags", {"tag": "方言"})
    staff.post(f"/admin/conversations/{wages}/tags", {"tag": "方言"})
    staff.post(f"/admin/conversations/{wages}/tags", {"tag": "新问题"})
    assert ids(staff, reviewed="yes") == [wages]
    assert wages not in ids(staff, reviewed="no") and len(ids(staff, reviewed="no")) == 7
    assert set(ids(staff, tag="方言")) == {wages, xss}
    assert ids(staff, tag="新问题") == [wages]
    page = staff.get("/admin/").text
    assert chip_counts(page)["reviewed"] == 1 and chip_counts(page)["unreviewed"] == 7
    assert "方言（2）" in page  # the tag select shows how many conversations carry each tag


@pytest.mark.parametrize(
    ("query", "names"),
    [
        ("仲裁", {"wages"}),  # two characters: LIKE
        ("想去仲裁", {"wages"}),  # four characters: the trigram index, inside a longer message
        ("欠工资 仲裁", {"wages"}),  # every term must be in the same message
        ("补助", {"apart_fallbacks"}),
        ("交通补助", {"apart_fallbacks"}),
        ("12333", {"fine"}),  # the bot's reply in "wages" mentions it too: only with 也搜机器人回复
        ("<script>", {"xss"}),
        ("仲裁 车票", set()),
        ("没有这句话", set()),
    ],
)
def test_search_finds_chinese_words(staff, seeded, query, names):
    assert set(ids(staff, q=query)) == seeded.ids(names)


def test_search_finds_the_bots_replies_when_asked(staff, seeded):
    assert set(ids(staff, q="12333", bot="1")) == seeded.ids({"wages", "fine"})


def test_three_characters_and_more_go_through_the_trigram_index(app, staff, seeded, db):
    assert db["messages_fts"].exists()
    with app.test_request_context():
        sql, params = search.condition("想去仲裁")
        assert "MATCH" in sql and params == ['"想去仲裁"']
        sql, params = search.condition("仲裁")
        assert "LIKE" in sql and params == ["%仲裁%"]
    # the index itself finds the word inside the longer message
    hits = db.execute("SELECT rowid FROM messages_fts WHERE messages_fts MATCH ?", ['"想去仲裁"']).fetchall()
    assert [row[0] for row in hits] == seeded.user_messages["wages"]


def test_new_messages_are_indexed_at_once(staff, seeded, db):
    seeding.write_conversation(
        db, "web", "w-new", dt.datetime.now(dt.timezone.utc), [seeding.fallback("劳动仲裁委员会在哪里", 0.3)]
    )
    new = db.execute("SELECT id FROM conversations WHERE sender = 'w-new'").fetchone()[0]
    assert ids(staff, q="仲裁委员会") == [new]


def test_search_hits_are_highlighted_and_shown(staff, seeded):
    page = staff.get("/admin/", query_string={"q": "仲裁"}).text
    assert "老板欠工资想去<mark>仲裁</mark>怎么弄" in page


def test_like_wildcards_are_literal(staff, seeded):
    assert ids(staff, q="%") == []
    assert ids(staff, q="_") == []


def test_pages_of_three(tmp_path):
    import contextlib

    from bot.gateway import transcripts

    app = build_app(tmp_path, ADMIN_PAGE_SIZE=3)
    with contextlib.closing(transcripts.connect(app.config["TRANSCRIPTS_DB"])) as db:
        seeded = seeding.seed(db)
    create_user(app)
    client = app.test_client()
    login(client)
    pages = [inbox_ids(client.get(f"/admin/?page={n}").text) for n in (1, 2, 3)]
    assert [len(p) for p in pages] == [3, 3, 2]
    assert sorted(sum(pages, [])) == sorted(seeded.conversations.values())
    assert "第 2 / 3 页，共 8 个会话" in client.get("/admin/?page=2").text
    assert inbox_ids(client.get("/admin/?page=99").text) == pages[2]  # past the end: the last page
    assert inbox_ids(client.get("/admin/?page=abc").text) == pages[0]
    # filters survive paging
    second = client.get("/admin/?low=1&page=2").text
    assert len(inbox_ids(second)) == 1 and 'href="/admin/?page=1&amp;low=1"' in second


INJECTIONS = [
    "' OR '1'='1",
    "'; DROP TABLE messages; --",
    '" OR 1=1 --',
    "1) OR (1=1",
    "仲裁' UNION SELECT password_hash FROM admin_users --",
    'NEAR("a" "b")',
    "text:* OR *",
    "\\",
    "%' --",
    "\x00",
]


@pytest.mark.parametrize("attack", INJECTIONS)
def test_sql_injection_in_search_and_filters_is_harmless(staff, seeded, db, attack):
    args = {
        "q": attack,
        "channel": attack,
        "intent": attack,
        "tag": attack,
        "reviewed": attack,
        "threshold": attack,
        "from": attack,
        "to": attack,
        "page": attack,
    }
    for key, value in args.items():
        response = staff.get("/admin/", query_string={key: value, "low": "1"})
        assert response.status_code == 200, key
        found = inbox_ids(response.text)
        if key in ("q", "channel", "intent", "tag") and attack != "\x00":
            assert found == [], key  # taken as literal text, which nothing contains
        else:
            assert set(found) == seeded.ids(seeding.LOW_ALL), key  # unusable value: ignored
        assert "pbkdf2" not in response.text  # no password hash came back
    for url in (
        "/admin/corrections",
        "/admin/export/transcripts.csv",
        "/admin/export/corrections.yml",
        "/admin/dashboard",
    ):
        assert staff.get(url, query_string=args).status_code == 200
    tables = set(db.table_names())
    assert {"messages", "conversations", "admin_users", "admin_audit", "messages_fts"} <= tables
    assert db["messages"].count == 24 and db["admin_users"].count == 1


def test_xss_in_a_message_is_escaped_in_the_inbox(staff, seeded):
    page = staff.get("/admin/").text
    assert seeding.XSS not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    searched = staff.get("/admin/", query_string={"q": "<script>"}).text
    assert seeding.XSS not in searched
    assert "<mark>&lt;script&gt;</mark>alert(1)&lt;/script&gt;" in searched
