"""Gateway configuration: the defaults, what the environment may override, and the secret key.

The secret key is never shipped: the first start writes a random one into the instance folder and every
later start (and every other worker process) reads the same file.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from bot import paths

INSTANCE = paths.VAR / "instance"
SECRET_KEY_FILE = "secret_key"
RASA_TOKEN_FILE = "rasa_token"  # Rasa's --auth-token: the stack starts Rasa with it, the gateway sends it

DEFAULTS: dict = {
    "RASA_URL": "http://127.0.0.1:5005",
    "ACTIONS_URL": "http://127.0.0.1:5055",
    "RASA_TOKEN": None,  # unset: the instance folder's rasa_token, the one bot/tools/stack.py gives Rasa
    "TRANSCRIPTS_DB": str(paths.VAR / "transcripts.db"),
    # turns the database refused, until it takes writes again; unset: next to TRANSCRIPTS_DB
    "TRANSCRIPTS_SPOOL": None,
    # WeChat gives up after 5 s; the passive reply must be on its way before that
    "RASA_BUDGET_SECONDS": 4.0,
    # the chat page has no platform deadline: wait longer before giving the phones instead of an answer
    "WEB_BUDGET_SECONDS": 15.0,
    # how long a WeChat turn that outlived the budget may keep running in the background
    "RASA_BACKGROUND_SECONDS": 30.0,
    "WECHAT_TOKEN": None,
    "WECHAT_AES_KEY": None,
    "WECHAT_APPID": None,
    "WECHAT_APPSECRET": None,
    # plain, compatible or safe, as on the account's server configuration page; unset: compatible when
    # WECHAT_AES_KEY is set, else plain. Only safe refuses a plain body sent with a captured signature.
    "WECHAT_ENCODING_MODE": None,
    # rate limits of the chat API, "N/S" (N requests, refilled over S seconds; "0": none): a person types
    # far fewer than 20 messages a minute; one address may be a whole village behind a carrier's NAT
    "CHAT_RATE_CONVERSATION": "20/60",
    "CHAT_RATE_ADDRESS": "600/60",
    "HISTORY_RATE_CONVERSATION": "30/60",
    "HISTORY_RATE_ADDRESS": "600/60",
    "MAX_CONTENT_LENGTH": 64 * 1024,  # a chat message or a WeChat push is a few KB at most
}

ENVIRONMENT_KEYS = [key for key in DEFAULTS if key != "MAX_CONTENT_LENGTH"] + ["SECRET_KEY"]


def from_environment(environ: dict[str, str] | None = None) -> dict:
    """The config keys set in the environment, cast like their defaults.

    RASA_PORT / ACTIONS_PORT (what the Makefile exports) give the URLs when the URLs themselves are not set.
    """
    environ = os.environ if environ is None else environ
    found: dict = {}
    for key in ENVIRONMENT_KEYS:
        if environ.get(key):
            default = DEFAULTS.get(key)
            found[key] = float(environ[key]) if isinstance(default, float) else environ[key]
    for key, port in (("RASA_URL", "RASA_PORT"), ("ACTIONS_URL", "ACTIONS_PORT")):
        if key not in found and environ.get(port):
            found[key] = f"http://127.0.0.1:{int(environ[port])}"
    return found


def secret_key(instance_path: str | Path, name: str = SECRET_KEY_FILE) -> str:
    """One of the instance folder's secrets (the session key, Rasa's API token), created on first use.

    Written to a private temporary file and hard-linked into place, so two workers starting at once
    end up with the same key and nobody ever reads a half-written file.
    """
    path = Path(instance_path) / name
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{name}.{os.getpid()}.{secrets.token_hex(4)}")
        handle = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(handle, "w") as out:
            out.write(secrets.token_hex(32))
        try:
            os.link(temporary, path)
        except FileExistsError:
            pass  # another worker won the race: use its key
        finally:
            temporary.unlink()
    return path.read_text(encoding="ascii").strip()
