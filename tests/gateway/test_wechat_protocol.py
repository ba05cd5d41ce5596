"""/wechat: only requests provably from WeChat are processed; plaintext and safe (AES) mode both work."""

from __future__ import annotations

import time

import pytest

from tests.gateway import db
from tests.gateway.standin import ARBITRATION_BUTTON
from tests.gateway.wechat_platform import WeChatPlatform, sign

BUTTON_LINE = "\n\n回复 1 " + ARBITRATION_BUTTON["title"]  # the stand-in's one button, as WeChat shows it

XXE = """<?xml version="1.0"?>
<!DOCTYPE xml [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<xml><ToUserName><![CDATA[gh_x]]></ToUserName><FromUserName><![CDATA[o-x]]></FromUserName>
<CreateTime>1</CreateTime><MsgType><![CDATA[text]]></MsgType><Content>&xxe;</Content><MsgId>1</MsgId></xml>"""

BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<xml><ToUserName>gh_x</ToUserName><FromUserName>o-x</FromUserName><CreateTime>1</CreateTime>
<MsgType>text</MsgType><Content>&lol9;</Content><MsgId>2</MsgId></xml>"""


def nothing_processed(app, upstream):
    return db.messages(app) == [] and upstream.calls == []


# -- GET: server address verification --------------------------------------------------------------
def test_verification_echoes_echostr(client, platform):
    response = client.get("/wechat", query_string={**platform.query(), "echostr": "4613201859603466891"})
    assert response.status_code == 200 and response.get_data(as_text=True) == "4613201859603466891"


@pytest.mark.parametrize(
    "change",
    [
        {"signature": "0" * 40},
        {"signature": ""},
        {"nonce": "another-nonce"},  # the signature no longer matches
        {"timestamp": str(int(time.time()) - 301)},
    ],
)
def test_verification_refuses_a_bad_signature_or_timestamp(client, platform, change):
    query = {**platform.query(), "echostr": "e", **change}
    response = client.get("/wechat", query_string=query)
    assert response.status_code == 403 and response.get_data(as_text=True) != "e"


# -- POST: plaintext mode ------------------------------------------------------------------------------
def test_plaintext_message_gets_the_bot_answer(client, platform, kb):
    reply = platform.post(client, platform.text("o-plain", "老板拖欠工资怎么办"))
    assert reply.status == 200
    assert reply.content == kb.render("unpaid_wages") + BUTTON_LINE
    assert "<ToUserName><![CDATA[o-plain]]></ToUserName>" in reply.body
    assert f"<FromUserName><![CDATA[{platform.account}]]></FromUserName>" in reply.body


def test_forged_signature_is_refused_and_nothing_processed(app, client, platform, upstream):
    forged = platform.query(token="not-the-token")
    reply = platform.post(client, platform.text("o-forger", "老板拖欠工资怎么办"), **forged)
    assert reply.status == 403
    assert nothing_processed(app, upstream)


def test_missing_signature_is_refused(app, client, platform, upstream):
    xml = platform.text("o-x", "工资").encode()
    response = client.post(
        "/wechat", query_string={"timestamp": str(int(time.time())), "nonce": "n"}, data=xml
    )
    assert response.status_code == 403 and nothing_processed(app, upstream)


@pytest.mark.parametrize("age", [301, 3600, -120])
def test_stale_or_future_timestamp_is_refused(app, client, platform, upstream, age):
    query = platform.query(timestamp=int(time.time()) - age)  # correctly signed, but replayed or forged
    reply = platform.post(client, platform.text("o-replay", "工资"), **query)
    assert reply.status == 403 and nothing_processed(app, upstream)


def test_a_few_seconds_of_clock_skew_are_tolerated(client, platform):
    query = platform.query(timestamp=int(time.time()) + 5)
    assert platform.post(client, platform.text("o-skew", "工资"), **query).status == 200


@pytest.mark.parametrize("payload", [XXE, BILLION_LAUGHS], ids=["xxe", "billion-laughs"])
def test_dtd_and_entities_are_refused_before_parsing(app, client, platform, upstream, payload):
    reply = platform.post(client, payload)
    assert reply.status == 400 and "DTD" in reply.body and nothing_processed(app, upstream)


@pytest.mark.parametrize("payload", [XXE, BILLION_LAUGHS], ids=["xxe", "billion-laughs"])
def test_dtd_inside_a_safe_mode_message_is_refused(app, client, platform, upstream, payload):
    reply = platform.post(client, payload, safe=True)
    assert reply.status == 400 and "DTD" in reply.body and nothing_processed(app, upstream)


@pytest.mark.parametrize("body", ["not xml", "<xml><MsgType>text</MsgType></xml>", "<other/>", ""])
def test_signed_garbage_is_a_bad_request(app, client, platform, upstream, body):
    assert platform.post(client, body).status == 400 and nothing_processed(app, upstream)


# -- POST: safe mode (AES) ------------------------------------------------------------------------------
def test_safe_mode_message_gets_an_encrypted_answer(client, platform, kb):
    reply = platform.post(client, platform.text("o-safe", "老板拖欠工资怎么办"), safe=True)
    assert reply.status == 200
    assert reply.content.startswith(kb.render("unpaid_wages"))
    assert "<ToUserName><![CDATA[o-safe]]></ToUserName>" in reply.body  # decrypted with wechatpy


def test_safe_mode_with_a_forged_msg_signature_is_refused(app, client, platform, upstream):
    reply = platform.post(client, platform.text("o-safe", "工资"), safe=True, msg_signature="f" * 40)
    assert reply.status == 403 and nothing_processed(app, upstream)


def test_safe_mode_sealed_for_another_account_is_refused(app, client, platform, upstream):
    other = WeChatPlatform(token=platform.token, aes_key=platform.aes_key, appid="wx-someone-else")
    reply = other.post(client, other.text("o-safe", "工资"), safe=True)
    assert reply.status == 403 and nothing_processed(app, upstream)


def test_safe_mode_without_an_aes_key_is_a_bad_request(make_app, platform, upstream):
    app = make_app(WECHAT_AES_KEY=None)
    reply = platform.post(app.test_client(), platform.text("o-safe", "工资"), safe=True)
    assert reply.status == 400 and nothing_processed(app, upstream)


def test_msg_signature_covers_the_ciphertext(client, platform):
    """WeChat's msg_signature is sha1 over token, timestamp, nonce and the Encrypt element."""
    query = platform.query()
    envelope = platform.crypto.encrypt_message(platform.text("o", "工资"), query["nonce"], query["timestamp"])
    encrypted = envelope.split("<Encrypt><![CDATA[")[1].split("]]>")[0]
    assert f"<![CDATA[{sign(platform.token, query['timestamp'], query['nonce'], encrypted)}]]>" in envelope


def test_reply_text_cannot_break_the_xml(client, platform, upstream):
    upstream.answer = lambda text: ([{"text": "您问的是：]]><MsgType>image</MsgType>"}], {"intent": "x"})
    reply = platform.post(client, platform.text("o-cdata", "随便问问"))
    assert reply.content == "您问的是：]]><MsgType>image</MsgType>"
