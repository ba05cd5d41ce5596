"""`flask admin …`: accounts are made on the server only, with a hidden, confirmed, hashed password."""

from __future__ import annotations

from bot.gateway.admin import auth
from tests.gateway.admin.conftest import PASSWORD, build_app, create_user, login


def invoke(app, *args, input=None):
    return app.test_cli_runner().invoke(args=["admin", *args], input=input)


def test_create_user_asks_twice_and_never_echoes(app, db):
    result = invoke(app, "create-user", "amei", input=f"{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert "Password" in result.output and "Repeat for confirmation" in result.output
    assert PASSWORD not in result.output
    user = auth.find_user(db, "amei")
    assert user["active"] == 1
    assert PASSWORD not in user["password_hash"] and user["password_hash"].startswith("pbkdf2:sha256:1000$")
    audit = list(db.query("SELECT staff, action, detail FROM admin_audit"))
    assert audit == [{"staff": "cli", "action": "user_created", "detail": '{"username": "amei"}'}]


def test_the_default_hash_is_scrypt(tmp_path):
    app = build_app(tmp_path, ADMIN_PASSWORD_METHOD=None)
    create_user(app)
    assert login(app.test_client()).status_code == 302
    import contextlib

    from bot.gateway import transcripts

    with contextlib.closing(transcripts.connect(app.config["TRANSCRIPTS_DB"])) as db:
        assert auth.find_user(db, "amei")["password_hash"].startswith("scrypt:")


def test_mismatched_confirmation_asks_again(app, db):
    result = invoke(app, "create-user", "amei", input=f"{PASSWORD}\nsomething else\n{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert "Error: The two entered values do not match." in result.output
    assert login(app.test_client()).status_code == 302


def test_short_password_and_duplicate_are_refused(app, db):
    short = invoke(app, "create-user", "amei", input="short\nshort\n")
    assert short.exit_code == 1 and "密码至少 10 个字符" in short.output
    assert db["admin_users"].count == 0
    same = invoke(app, "create-user", "wang-xiaoming", input="wang-xiaoming\nwang-xiaoming\n")
    assert same.exit_code == 1 and "密码不能和用户名一样" in same.output
    create_user(app)
    again = invoke(app, "create-user", "AMEI")
    assert again.exit_code == 1 and "已存在" in again.output
    bad_name = invoke(app, "create-user", "a b", input=f"{PASSWORD}\n{PASSWORD}\n")
    assert bad_name.exit_code == 1 and "用户名" in bad_name.output
    assert db["admin_users"].count == 1


def test_chinese_usernames_work(app):
    create_user(app, "李阿妹")
    assert login(app.test_client(), "李阿妹").status_code == 302


def test_set_password_disable_and_list(app, db):
    create_user(app)
    new = "a-brand-new-password"
    assert invoke(app, "set-password", "amei", input=f"{new}\n{new}\n").exit_code == 0
    with app.app_context():
        assert auth.verify(db, "amei", PASSWORD) is None
    assert login(app.test_client(), password=new).status_code == 302
    assert invoke(app, "set-password", "nobody", input=f"{new}\n{new}\n").exit_code == 1
    assert invoke(app, "disable-user", "amei").exit_code == 0
    listing = invoke(app, "list-users")
    assert listing.exit_code == 0 and "amei\tdisabled" in listing.output


def test_reindex_rebuilds_the_search_index(app, db, seeded):
    db.execute("DELETE FROM messages_fts")  # lose the index contents (e.g. a restored backup)
    assert (
        db.execute("SELECT count(*) FROM messages_fts WHERE messages_fts MATCH '\"仲裁怎\"'").fetchone()[0]
        == 0
    )
    result = invoke(app, "reindex")
    assert result.exit_code == 0, result.output
    assert "search index rebuilt: 24 messages" in result.output
    assert (
        db.execute("SELECT count(*) FROM messages_fts WHERE messages_fts MATCH '\"仲裁怎\"'").fetchone()[0]
        == 1
    )
