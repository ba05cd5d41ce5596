"""WeChat's side of the Official Account protocol, for the tests: messages signed (plaintext mode) or
encrypted and signed (safe mode) with wechatpy exactly as WeChat's servers send them, and the
gateway's replies read back (decrypted in safe mode) with wechatpy. Each reply keeps the query string
and body that were sent, so a test can resend them unchanged or capture the signature as an attacker would.
"""

from __future__ import annotations

import base64
import itertools
import os
import secrets
import time
from dataclasses import dataclass, field

import xmltodict
from wechatpy.crypto import WeChatCrypto
from wechatpy.replies import deserialize_reply
from wechatpy.utils import WeChatSigner

ACCOUNT = "gh_huize0000001"
_ids = itertools.count(6_900_000_000_000_000_001)


def sign(*parts: str) -> str:
    signer = WeChatSigner()
    signer.add_data(*parts)
    return signer.signature


def cdata(value: str) -> str:
    return f"<![CDATA[{value}]]>"


@dataclass
class Reply:
    status: int
    content: str | None  # the text of a text reply
    body: str
    query: dict = field(default_factory=dict)  # what was sent
    sent: str = ""


def captured(query: dict) -> dict:
    """What anyone on the path sees and can reuse: the signature over token, timestamp and nonce."""
    return {name: query[name] for name in ("signature", "timestamp", "nonce")}


@dataclass
class WeChatPlatform:
    token: str = field(default_factory=lambda: secrets.token_hex(8))
    aes_key: str = field(default_factory=lambda: base64.b64encode(os.urandom(32)).decode()[:-1])
    appid: str = "wx0123456789abcdef"
    account: str = ACCOUNT

    @property
    def crypto(self) -> WeChatCrypto:
        return WeChatCrypto(self.token, self.aes_key, self.appid)

    # -- messages, as WeChat writes them ---------------------------------------------------------
    def message(self, openid: str, msg_type: str, fields: dict[str, str], msg_id: int | None = None) -> str:
        msg_id = next(_ids) if msg_id is None else msg_id
        body = "".join(f"<{name}>{cdata(value)}</{name}>" for name, value in fields.items())
        return (
            f"<xml><ToUserName>{cdata(self.account)}</ToUserName><FromUserName>{cdata(openid)}</FromUserName>"
            f"<CreateTime>{int(time.time())}</CreateTime><MsgType>{cdata(msg_type)}</MsgType>{body}"
            f"<MsgId>{msg_id}</MsgId></xml>"
        )

    def text(self, openid: str, content: str, msg_id: int | None = None) -> str:
        return self.message(openid, "text", {"Content": content}, msg_id)

    def voice(self, openid: str, recognition: str | None) -> str:
        fields = {"MediaId": "media-1", "Format": "amr"}
        if recognition is not None:
            fields["Recognition"] = recognition
        return self.message(openid, "voice", fields)

    def event(self, openid: str, event: str) -> str:
        return (
            f"<xml><ToUserName>{cdata(self.account)}</ToUserName><FromUserName>{cdata(openid)}</FromUserName>"
            f"<CreateTime>{int(time.time())}</CreateTime><MsgType>{cdata('event')}</MsgType>"
            f"<Event>{cdata(event)}</Event></xml>"
        )

    # -- delivery ----------------------------------------------------------------------------------
    def query(self, timestamp: int | None = None, nonce: str | None = None, token: str | None = None) -> dict:
        timestamp = str(int(time.time()) if timestamp is None else timestamp)
        nonce = nonce or secrets.token_hex(5)
        return {
            "signature": sign(token or self.token, timestamp, nonce),
            "timestamp": timestamp,
            "nonce": nonce,
        }

    def post(self, client, xml: str, *, safe: bool = False, **query_overrides) -> Reply:
        """POST a message to /wechat as WeChat does, in plaintext or safe mode; read the reply back."""
        query = self.query()
        body = xml
        if safe:
            body = self.crypto.encrypt_message(xml, query["nonce"], query["timestamp"])
            envelope = xmltodict.parse(body)["xml"]
            query.update(encrypt_type="aes", msg_signature=envelope["MsgSignature"], openid="o-user")
        query.update(query_overrides)
        return self.send(client, query, body)

    def resend(self, client, reply: Reply) -> Reply:
        """The same request again, byte for byte (a retry, or a replay of a captured request)."""
        return self.send(client, reply.query, reply.sent)

    def send(self, client, query: dict, body: str) -> Reply:
        response = client.post(
            "/wechat", query_string=query, data=body.encode("utf-8"), content_type="text/xml"
        )
        reply = self.read(response, query.get("encrypt_type") == "aes")
        reply.query, reply.sent = dict(query), body
        return reply

    def read(self, response, safe: bool) -> Reply:
        body = response.get_data(as_text=True)
        if response.status_code != 200 or not body.startswith("<xml>"):
            return Reply(response.status_code, None, body)
        xml = body
        if safe:
            envelope = xmltodict.parse(body)["xml"]
            xml = self.crypto.decrypt_message(
                body, envelope["MsgSignature"], envelope["TimeStamp"], envelope["Nonce"]
            )
        return Reply(response.status_code, deserialize_reply(xml).content, xml)
