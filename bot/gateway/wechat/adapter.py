"""The only module that talks to wechatpy: signatures, the encoding modes, parsing, replies, push.

Everything that decides whether a request really comes from WeChat happens here, before any XML is
parsed: the timestamp must be fresh, the signatures are compared in constant time (wechatpy compares
with `!=`), and a body that declares a DTD or entities is refused outright (XXE, billion laughs).
The signature covers token, timestamp and nonce but not the body: the endpoint lets each signed query
string carry one message only (`wechat_state.claim_query`), and in safe mode only an encrypted body,
whose msg_signature covers the ciphertext, is accepted.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace

import xmltodict
from wechatpy import WeChatClient, parse_message
from wechatpy.crypto import WeChatCrypto
from wechatpy.exceptions import InvalidAppIdException, InvalidSignatureException
from wechatpy.replies import TextReply
from wechatpy.utils import WeChatSigner

MAX_AGE_SECONDS = 300  # a replayed request older than this is refused
# WeChat's clock and ours are both NTP-synced; a few seconds ahead is skew, more is forgery or replay
MAX_SKEW_SECONDS = 30
# WeChat's message encryption modes (明文, 兼容, 安全): what the account's server configuration is set to
MODES = ("plain", "compatible", "safe")
_DTD = re.compile(r"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)
# characters XML 1.0 cannot carry; a reply containing one would be dropped by WeChat
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_PARSE_ERRORS = (xmltodict.expat.ExpatError, KeyError, TypeError, ValueError, AttributeError)


class Rejected(Exception):
    status = 400


class Forbidden(Rejected):
    """Not provably from WeChat: bad or missing signature, stale or future timestamp."""

    status = 403


class Malformed(Rejected):
    """Signed, but not a message we can read (or a DTD/entity declaration)."""

    status = 400


@dataclass(frozen=True)
class Incoming:
    """A message from a WeChat user, reduced to what the gateway needs."""

    account: str  # ToUserName: our Official Account
    openid: str  # FromUserName: the user
    kind: str  # text, voice, subscribe, event, image, location, link, video, shortvideo, unknown
    text: str | None  # the text, or the voice recognition; None when there is nothing to read
    msg_id: str  # MsgId, or for events (which have none) openid + CreateTime + event, as WeChat advises
    encrypted: bool = False  # reply in the mode the message came in
    nonce: str = ""
    timestamp: int = 0  # with the nonce, the signed query string: good for this message only
    fingerprint: str = ""  # sha256 of the message as WeChat wrote it (decrypted), to know it again


class WeChatAdapter:
    def __init__(
        self,
        token: str,
        aes_key: str | None = None,
        appid: str | None = None,
        appsecret: str | None = None,
        mode: str | None = None,
        clock: Callable[[], float] = time.time,
    ):
        self.token = token
        self.mode = encoding_mode(mode, aes_key, appid)
        self.crypto = WeChatCrypto(token, aes_key, appid) if self.mode != "plain" else None
        self._client = WeChatClient(appid, appsecret) if appid and appsecret else None
        self._clock = clock

    # -- inbound ---------------------------------------------------------------------------------
    def verify_url(self, args: Mapping[str, str]) -> str:
        """GET from WeChat's server configuration page: echo `echostr` when the signature is right."""
        self._authenticate(args)
        return args.get("echostr", "")

    def read(self, args: Mapping[str, str], body: bytes) -> Incoming:
        """Check and decode one POSTed message (plaintext, or encrypted with encrypt_type=aes)."""
        timestamp = self._authenticate(args)
        encrypted = args.get("encrypt_type") == "aes"
        if self.mode == "safe" and not encrypted:
            raise Forbidden("safe mode accepts only encrypted messages")
        xml = _refuse_dtd(body)
        if encrypted:
            xml = _refuse_dtd(self._decrypt(args, xml).encode("utf-8"))
        try:
            incoming = _incoming(parse_message(xml), encrypted, args.get("nonce", ""))
        except _PARSE_ERRORS as exc:
            raise Malformed("not a WeChat message") from exc
        fingerprint = hashlib.sha256(xml.encode("utf-8")).hexdigest()
        return replace(incoming, timestamp=timestamp, fingerprint=fingerprint)

    def _authenticate(self, args: Mapping[str, str]) -> int:
        """The signed timestamp, once it is fresh and the signature checks out."""
        timestamp = args.get("timestamp", "")
        try:
            signed_at = int(timestamp)
        except ValueError as exc:
            raise Forbidden("no timestamp") from exc
        age = self._clock() - signed_at
        if age > MAX_AGE_SECONDS or age < -MAX_SKEW_SECONDS:
            raise Forbidden("stale or future timestamp")
        _require(args.get("signature"), self.token, timestamp, args.get("nonce", ""))
        return signed_at

    def _decrypt(self, args: Mapping[str, str], xml: str) -> str:
        if self.crypto is None:
            raise Malformed("encrypted, but WECHAT_ENCODING_MODE is plain")
        try:
            envelope = xmltodict.parse(xml)["xml"]
            encrypted = envelope["Encrypt"]
        except _PARSE_ERRORS as exc:
            raise Malformed("no Encrypt element") from exc
        timestamp, nonce = args.get("timestamp", ""), args.get("nonce", "")
        signature = args.get("msg_signature")
        _require(signature, self.token, timestamp, nonce, encrypted)
        try:
            return self.crypto.decrypt_message(envelope, signature, timestamp, nonce)
        except (InvalidAppIdException, InvalidSignatureException) as exc:
            raise Forbidden("sealed for another account") from exc
        except Exception as exc:  # noqa: BLE001 - any cipher or padding error means an unreadable body
            raise Malformed("cannot decrypt") from exc

    # -- outbound --------------------------------------------------------------------------------
    def render(self, incoming: Incoming, text: str) -> str:
        """The passive text reply to `incoming`, encrypted when the message was."""
        reply = TextReply(source=incoming.account, target=incoming.openid, content=cdata_safe(text)).render()
        if incoming.encrypted and self.crypto is not None:
            return self.crypto.encrypt_message(reply, incoming.nonce)
        return reply

    @property
    def can_push(self) -> bool:
        return self._client is not None

    def push_text(self, openid: str, text: str) -> None:
        """Send a customer-service message (needs WECHAT_APPID + WECHAT_APPSECRET); raises on failure."""
        if self._client is None:
            raise RuntimeError("customer-service push is not configured")
        self._client.message.send_text(openid, text)


def encoding_mode(configured: str | None, aes_key: str | None, appid: str | None) -> str:
    """The configured mode, else compatible with an AES key and plain without; one that cannot work
    stops the start rather than refusing every message later."""
    mode = configured or ("compatible" if aes_key else "plain")
    if mode not in MODES:
        raise ValueError(f"WECHAT_ENCODING_MODE={mode!r}: must be plain, compatible or safe")
    if mode != "plain" and not (aes_key and appid):
        raise ValueError(
            f"WECHAT_ENCODING_MODE={mode} needs WECHAT_AES_KEY and WECHAT_APPID (the EncodingAESKey and"
            " AppID of the account's server configuration); set them, or WECHAT_ENCODING_MODE=plain"
        )
    return mode


def signature(*parts: str) -> str:
    """WeChat's signature: sha1 of the sorted, concatenated parts."""
    signer = WeChatSigner()
    signer.add_data(*parts)
    return signer.signature


def _require(given: str | None, *parts: str) -> None:
    expected = signature(*parts).encode("ascii")
    if not given or not hmac.compare_digest(expected, given.encode("utf-8", "replace")):
        raise Forbidden("bad signature")


def _refuse_dtd(body: bytes) -> str:
    """The body as text; a DTD or entity declaration is refused before any parser sees it."""
    try:
        text = body.decode("utf-8")  # WeChat sends UTF-8; anything else could hide a declaration
    except UnicodeDecodeError as exc:
        raise Malformed("not UTF-8") from exc
    if _DTD.search(text):
        raise Malformed("DTD and entity declarations are not accepted")
    return text


def _incoming(message, encrypted: bool, nonce: str) -> Incoming:
    kind, text = message.type, None
    if kind == "text":
        text = message.content or ""
    elif kind == "voice":
        text = (message.recognition or "").strip() or None
    elif kind == "event":
        kind = "subscribe" if message.event in ("subscribe", "subscribe_scan") else "event"
    if not message.source or not message.target:
        raise KeyError("FromUserName/ToUserName")
    msg_id = (
        str(message.id) if message.id else f"{message.source}:{message.time}:{getattr(message, 'event', '')}"
    )
    return Incoming(message.target, message.source, kind, text, msg_id, encrypted, nonce)


def cdata_safe(text: str) -> str:
    """Text that cannot break out of wechatpy's CDATA section (a reply may quote the user's words)."""
    return _NOT_XML.sub("", text).replace("]]>", "]]]]><![CDATA[>")
