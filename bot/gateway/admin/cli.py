"""`flask --app bot admin …`: staff accounts (the only way to make one) and the search index.

Passwords are asked twice and never echoed; they never appear on the command line or in shell history.
"""

from __future__ import annotations

import contextlib

import click
from flask import current_app
from flask.cli import AppGroup

from bot.gateway import schema, transcripts
from bot.gateway.admin import auth

group = AppGroup("admin", help="Helpdesk console: staff accounts and the search index.")


@contextlib.contextmanager
def _db():
    path = current_app.config["TRANSCRIPTS_DB"]
    transcripts.init(path)  # made or brought to the current schema (idempotent)
    with contextlib.closing(transcripts.connect(path)) as db:
        yield db


def _ask_password() -> str:
    return click.prompt("Password", hide_input=True, confirmation_prompt=True)


@group.command("create-user")
@click.argument("name")
def create_user(name: str) -> None:
    """Create a staff account NAME; the password is asked twice."""
    with _db() as db:
        if auth.find_user(db, name):
            raise click.ClickException(f"用户 {name} 已存在（改密码用 set-password）")
        password = _ask_password()
        try:
            auth.create_user(db, name, password)
        except ValueError as problem:
            raise click.ClickException(str(problem)) from None
    click.echo(f"已创建账号 {name}。登录：/admin/login")


@group.command("set-password")
@click.argument("name")
def set_password(name: str) -> None:
    """Give NAME a new password (ends NAME's open sessions; re-enables a disabled account)."""
    with _db() as db:
        if not auth.find_user(db, name):
            raise click.ClickException(f"没有用户 {name}")
        try:
            auth.set_password(db, name, _ask_password())
        except ValueError as problem:
            raise click.ClickException(str(problem)) from None
    click.echo(f"已为 {name} 设置新密码")


@group.command("disable-user")
@click.argument("name")
def disable_user(name: str) -> None:
    """Stop NAME from logging in (open sessions end at their next request)."""
    with _db() as db:
        try:
            auth.disable_user(db, name)
        except ValueError as problem:
            raise click.ClickException(str(problem)) from None
    click.echo(f"已停用 {name}")


@group.command("list-users")
def list_users() -> None:
    """Staff accounts, with their last login."""
    with _db() as db:
        for user in auth.list_users(db):
            state = "active" if user["active"] else "disabled"
            click.echo(f"{user['username']}\t{state}\tlast login {user['last_login_at'] or '-'}")


@group.command("reindex")
def reindex() -> None:
    """Rebuild the full-text index of the messages."""
    with _db() as db:
        if not schema.trigram_available():
            raise click.ClickException("SQLite < 3.34 has no trigram tokenizer; search uses LIKE")
        schema.rebuild_search(db)
        total = db["messages"].count
    click.echo(f"search index rebuilt: {total} messages")
