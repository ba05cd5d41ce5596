"""Cutting text to a length without breaking a character as a person sees it.

A plain slice can end inside an emoji sequence (👨‍👩‍👧 is five code points, 🇨🇳 two, a keycap three) or
between a letter and its accent; stored or shown, the half is garbage. `cut` keeps whole grapheme
clusters (Unicode's extended grapheme clusters, `regex`'s \\X), and turns lone surrogates, which no
encoder accepts, into U+FFFD first.
"""

from __future__ import annotations

import re

import regex

_CLUSTER = regex.compile(r"\X")
_SURROGATE = re.compile("[\ud800-\udfff]")


def whole(text: str) -> str:
    """The text with every lone surrogate ("\\ud800" from a JSON escape or a cut in the browser) as U+FFFD."""
    return _SURROGATE.sub("\ufffd", text)


def cut(text: str, limit: int, tail: str = "") -> str:
    """At most `limit` characters (code points) of whole clusters; `tail` (e.g. "…") is added, within the
    limit, only when something was cut."""
    text = whole(text)
    if len(text) <= limit:
        return text
    room, kept = limit - len(tail), []
    for match in _CLUSTER.finditer(text):
        if match.end() > room:
            break
        kept.append(match.group())
    return "".join(kept) + tail
