"""WECHAT_ENCODING_MODE, WeChat's three message modes: plain (signature only), compatible (encrypted or
plain), safe (only encrypted messages signed with msg_signature). In compatible mode a plain body needs
nothing but a captured signature, so only safe mode makes the AES key a real protection."""

from __future__ import annotations

import pytest

from bot.gateway import settings
from tests.gateway import db
from tests.gateway.standin import ARBITRATION_BUTTON

BUTTON_LINE = "\n\n回复 1 " + ARBITRATION_BUTTON["title"]  # the stand-in's one button, as WeChat shows it

WAGES = "老板拖欠工资怎么办"


def nothing_processed(app, upstream):
    return (
        db.messages(app) == []
        and upstream.calls == []
        and db.scalar(app, "SELECT count(*) FROM wechat_deliveries") == 0
    )


def test_an_aes_key_without_a_mode_means_compatible(client, platform, kb):
    encrypted = platform.post(client, platform.text("o-enc", WAGES), safe=True)
    plain = platform.post(client, platform.text("o-plain", WAGES))
    assert (encrypted.status, plain.status) == (200, 200)
    assert encrypted.content == plain.content == kb.render("unpaid_wages") + BUTTON_LINE
    assert "<Encrypt>" not in plain.body  # each in the mode it came in; the encrypted one was decrypted


def test_safe_mode_refuses_a_correctly_signed_plain_message(make_app, platform, upstream):
    """E.g. a request intercepted on its way, its encryption stripped: the signature still checks out."""
    app = make_app(WECHAT_ENCODING_MODE="safe")
    reply = platform.post(app.test_client(), platform.text("o-attacker", WAGES))
    assert reply.status == 403 and nothing_processed(app, upstream)


def test_safe_mode_refuses_encryption_without_msg_signature(make_app, platform, upstream):
    app = make_app(WECHAT_ENCODING_MODE="safe")
    reply = platform.post(app.test_client(), platform.text("o-safe", WAGES), safe=True, msg_signature="")
    assert reply.status == 403 and nothing_processed(app, upstream)


def test_safe_mode_answers_an_encrypted_message_encrypted(make_app, platform, kb):
    app = make_app(WECHAT_ENCODING_MODE="safe")
    reply = platform.post(app.test_client(), platform.text("o-safe", WAGES), safe=True)
    assert reply.status == 200 and reply.content.startswith(kb.render("unpaid_wages"))
    assert "<ToUserName><![CDATA[o-safe]]></ToUserName>" in reply.body  # decrypted with wechatpy


def test_plain_mode_does_not_decrypt(make_app, platform, upstream, kb):
    app = make_app(WECHAT_ENCODING_MODE="plain")
    client = app.test_client()
    assert platform.post(client, platform.text("o-enc", WAGES), safe=True).status == 400
    assert nothing_processed(app, upstream)
    assert platform.post(client, platform.text("o-plain", WAGES)).content.startswith(
        kb.render("unpaid_wages")
    )


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"WECHAT_ENCODING_MODE": "safe", "WECHAT_AES_KEY": None}, "WECHAT_AES_KEY"),
        ({"WECHAT_ENCODING_MODE": "compatible", "WECHAT_AES_KEY": None}, "WECHAT_AES_KEY"),
        ({"WECHAT_ENCODING_MODE": "safe", "WECHAT_APPID": None}, "WECHAT_APPID"),
        ({"WECHAT_ENCODING_MODE": "secure"}, "plain, compatible or safe"),
    ],
    ids=["safe-without-key", "compatible-without-key", "safe-without-appid", "unknown"],
)
def test_a_mode_that_cannot_work_stops_the_start(make_app, overrides, message):
    with pytest.raises(ValueError, match=message):
        make_app(**overrides)


def test_the_mode_is_read_from_the_environment():
    assert settings.from_environment({"WECHAT_ENCODING_MODE": "safe"}) == {"WECHAT_ENCODING_MODE": "safe"}
