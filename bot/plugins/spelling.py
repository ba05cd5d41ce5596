"""Spelling repair of domain terms before the NLU: what phones and IMEs do to 仲裁, 建档立卡, 工资, 交通.

`repair(text)` returns the text with
1. Unicode normalised (NFKC: full-width letters, digits and punctuation become plain ones), spoken fillers
   (嗯, 呃) and stammered repeats ("那个那个", "是 是") of voice input dropped;
2. stray spaces inside a word removed ("交 通 补 助" → "交通补助"; spaces between words stay, workers use
   them as commas);
3. a few pinyin abbreviations workers type spelled out, as whole tokens only (jt → 交通, gz → 工资, zc → 仲裁);
4. misspelt domain terms repaired by their sound: a window of characters whose toneless pinyin matches a
   term of the glossary (policy_kb's answer titles and the jieba user dictionary), with the confusions of
   Yunnan speech and pinyin IMEs allowed (zh/z, ch/c, sh/s, n/l, an/ang, en/eng, in/ing), and differing from
   the term in one or two characters, becomes the term: 众裁 → 仲裁, 建档力卡 → 建档立卡, 共资 → 工资.

A two-character window is left alone when it is a word of jieba's own dictionary ("中彩" is not 仲裁) or
follows a surname (张仲才 is a name). The original text is kept by the caller (the transcript has it);
the repaired text goes to Rasa.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from pypinyin import Style, pinyin

from bot import paths

# terms that are dialect or grammar, not domain words: never a repair target
_NOT_TERMS = {"咋个", "哪点", "莫得", "好多钱", "哪样", "得不得", "克", "整"}
# the core words misspelt most, whatever the dictionaries hold
_CORE_TERMS = [
    "仲裁",
    "劳动仲裁",
    "建档立卡",
    "建档立卡户",
    "工资",
    "交通",
    "交通补助",
    "补助",
    "补贴",
    "培训",
    "创业",
    "登记",
    "失业登记",
    "就业登记",
    "贫困户",
    "车票",
    "车费",
    "路费",
    "包工头",
    "监察大队",
    "打工",
    "务工",
    "时效",
]
# pinyin initials workers type for whole words; only as separate tokens
ABBREVIATIONS = {
    "jt": "交通",
    "jtbz": "交通补助",
    "bz": "补助",
    "gz": "工资",
    "zc": "仲裁",
    "dg": "打工",
    "jdlk": "建档立卡",
    "sfz": "身份证",
    "bgt": "包工头",
    "jiaotong": "交通",
    "zhongcai": "仲裁",
    "gongzi": "工资",
}
_ABBREVIATION = re.compile(
    r"(?<![A-Za-z])(" + "|".join(sorted(ABBREVIATIONS, key=len, reverse=True)) + r")(?![A-Za-z])", re.I
)
_SURNAMES = set(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
_HAN = re.compile(r"[\u4e00-\u9fff]")
_FUZZY = [("zh", "z"), ("ch", "c"), ("sh", "s"), ("ang", "an"), ("eng", "en"), ("ing", "in")]


def _fuzzy(syllable: str) -> str:
    for a, b in _FUZZY:
        syllable = syllable.replace(a, b)
    if syllable.startswith("l"):
        syllable = "n" + syllable[1:]
    return syllable


@lru_cache(maxsize=8192)
def _sounds(char: str) -> tuple[str, ...]:
    """The fuzzy toneless readings of one character (heteronyms included, at most three)."""
    if not _HAN.match(char):
        return ()
    readings = pinyin(char, style=Style.NORMAL, heteronym=True, errors="ignore")
    return tuple(dict.fromkeys(_fuzzy(r) for r in (readings[0] if readings else [])[:3]))


@dataclass(frozen=True)
class Glossary:
    by_sound: dict[tuple[int, tuple[str, ...]], str]
    lengths: tuple[int, ...]
    terms: frozenset[str]


def _terms() -> list[str]:
    from policy_kb import kb as policy

    words = [
        line.split("#")[0].strip() for line in paths.JIEBA_TERMS.read_text(encoding="utf-8").splitlines()
    ]
    words += [answer.title for answer in policy.get().answers.values() if answer.kind == "faq"]
    words += _CORE_TERMS
    return [
        w
        for w in dict.fromkeys(words)
        if 2 <= len(w) <= 6 and all(_HAN.match(c) for c in w) and w not in _NOT_TERMS
    ]


@lru_cache(maxsize=1)
def glossary() -> Glossary:
    by_sound: dict[tuple[int, tuple[str, ...]], str] = {}
    for term in _terms():
        sounds = [_sounds(c)[:1] for c in term]  # the term's own (most common) reading
        if all(sounds):
            by_sound.setdefault((len(term), tuple(s[0] for s in sounds)), term)
    lengths = tuple(sorted({n for n, _ in by_sound}, reverse=True))
    return Glossary(by_sound, lengths, frozenset(by_sound.values()))


@lru_cache(maxsize=1)
def _known_words() -> frozenset[str]:
    """Two-character words of jieba's main dictionary (a real word is not a misspelling)."""
    import jieba

    jieba.initialize()
    return frozenset(w for w, f in jieba.dt.FREQ.items() if len(w) == 2 and f > 0)


def _join_spread_letters(text: str) -> str:
    """ "交 通 补 助" → "交通补助": runs of single Han characters separated by spaces are one word."""
    tokens = text.split(" ")
    out: list[str] = []
    run: list[str] = []
    for token in tokens:
        if len(token) == 1 and _HAN.match(token):
            run.append(token)
            continue
        if run:
            out.append("".join(run) if len(run) >= 2 else run[0])
            run = []
        out.append(token)
    if run:
        out.append("".join(run) if len(run) >= 2 else run[0])
    return " ".join(out)


def normalise(text: str) -> str:
    text = unicodedata.normalize("NFKC", text or "")
    text = re.sub(r"[ \t\u3000]+", " ", text).strip()
    return _join_spread_letters(text)


# spoken hesitations, as voice input and slow typists write them: a token of their own
_FILLER = re.compile(r"(?:^|(?<=[\s，,。]))(?:嗯+|呃+|额+|唔+|em+|en+|ng+)(?:$|[\s，,。]+)", re.I)
# a stammered repeat: two to four characters said twice ("那个那个", "就是 就是"), or one said twice with a
# pause ("是 是"); a doubled word without the pause stays ("天天", "谢谢")
_REPEAT = re.compile(r"([\u4e00-\u9fff]{2,4})(?:\s*\1)+|([\u4e00-\u9fff])\s+(?=\2)")


def fluent(text: str) -> str:
    """The message without spoken fillers (嗯, 呃) and stammered repeats: "嗯 那个那个 就是 就是 是 是咋个补的"
    reads "那个 就是 是咋个补的"."""
    text = _REPEAT.sub(lambda m: m.group(1) or "", _FILLER.sub("", text))
    return re.sub(r"\s{2,}", " ", text).strip()


def _match(window: str, gloss: Glossary) -> str | None:
    if window in gloss.terms:
        return None
    options = [_sounds(c) for c in window]
    if not all(options):
        return None
    for combo in itertools.product(*options):
        term = gloss.by_sound.get((len(window), combo))
        if term is None:
            continue
        differing = sum(1 for a, b in zip(window, term, strict=True) if a != b)
        if 1 <= differing <= (1 if len(window) <= 3 else 2):
            return term
    return None


def _straddles(text: str, i: int) -> bool:
    """The window at i ends one word and starts the next: "劳务公司" has 劳务 and 公司, so 务公 is no 务工."""
    words = _known_words()
    return i > 0 and text[i - 1 : i + 1] in words and text[i + 1 : i + 3] in words


def _repair_terms(text: str) -> str:
    gloss = glossary()
    out, i = [], 0
    while i < len(text):
        replaced = False
        for n in gloss.lengths:
            window = text[i : i + n]
            if len(window) < n or not _HAN.match(window[0]):
                continue
            term = _match(window, gloss)
            if term is None:
                continue
            if n == 2 and (
                window in _known_words() or (i > 0 and text[i - 1] in _SURNAMES) or _straddles(text, i)
            ):
                continue
            out.append(term)
            i += n
            replaced = True
            break
        if not replaced:
            out.append(text[i])
            i += 1
    return "".join(out)


def prepare() -> None:
    """Build the glossary and the word list now (in Rasa's main process, before it forks the workers),
    not on a worker's first message."""
    glossary()
    _known_words()


def repair(text: str) -> str:
    """The text Rasa should read: normalised, abbreviations spelled out, misspelt domain terms repaired."""
    text = fluent(normalise(text))
    text = _ABBREVIATION.sub(lambda m: ABBREVIATIONS[m.group(1).lower()], text)
    return _repair_terms(text)


__all__ = ["ABBREVIATIONS", "fluent", "glossary", "normalise", "prepare", "repair"]
