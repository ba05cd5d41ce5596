"""Mask personal data in a message before it is stored or passed on.

Workers paste their ID number, mobile number or bank card when they ask about wages or subsidies. None of
it is needed to answer, so it is replaced by a label such as [手机号] before the text reaches the
transcripts or Rasa's tracker store. Office landlines (area code + 7 digits), the 5-digit hotline, dates
and amounts have other shapes and stay as they are: the bot's own answers quote them.

`\\d` also matches full-width digits (１３９…), which Chinese keyboards produce.
"""

from __future__ import annotations

import re

from policy_kb.understanding.numbers import CN_DIGITS

ID_NUMBER = "[身份证号]"
MOBILE = "[手机号]"
BANK_CARD = "[银行卡号]"

_SEP = r"[ \-\u3000－]"  # what people put between digit groups: space, dash, full-width space/dash
_BIRTH = r"(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])"
_X = "[XxＸｘ]"  # the ID check digit "10"

# The order matters: each pattern sees the text with the earlier matches already replaced by labels.
_PATTERNS: list[tuple[re.Pattern, str]] = [
    # 18-digit resident ID: region, birth date, sequence, check digit (may be X); 6-8-4 groups allowed
    (re.compile(rf"(?<!\d)\d{{6}}{_SEP}?{_BIRTH}{_SEP}?\d{{3}}(?:\d|{_X})(?!\d)"), ID_NUMBER),
    (re.compile(rf"(?<!\d)\d{{17}}{_X}(?![\dA-Za-z])"), ID_NUMBER),
    # bank cards: 16-19 digits in one run, or in groups of four
    (re.compile(r"(?<!\d)\d{16,19}(?!\d)"), BANK_CARD),
    (re.compile(rf"(?<!\d)\d{{4}}(?:{_SEP}\d{{4}}){{3}}(?:{_SEP}?\d{{1,3}})?(?!\d)"), BANK_CARD),
    # first-generation 15-digit ID (no 15-digit bank card exists)
    (re.compile(r"(?<!\d)\d{15}(?!\d)"), ID_NUMBER),
    # mainland mobile: 1[3-9] and 9 more digits, 3-4-4 groups allowed, optional +86 / 0086 / 86
    (
        re.compile(
            rf"(?<![\d+＋])(?:(?:[+＋]|00)?86{_SEP}?)?[1１][3-9３-９]\d{_SEP}?\d{{4}}{_SEP}?\d{{4}}(?!\d)"
        ),
        MOBILE,
    ),
]


# A run of digits however it is spelt: ASCII or full-width digits, Chinese numerals read digit by digit
# (一三八…, 幺 for 1 from voice input, 两, 〇), with one kind of separator between any of them (138.1234.5678,
# 138/1234/5678, no-break spaces, "1 3 8 1 2 …", "13 8123 45678").
_DIGIT = "[\\d" + "".join(CN_DIGITS) + "]"
_RUN_SEP = r"[ \u00a0\u3000\-－—.．/／·_]"
_RUN = re.compile(rf"(?<!{_DIGIT}){_DIGIT}(?:{_RUN_SEP}?{_DIGIT}){{10,}}(?!{_DIGIT})")
_BIRTH_AT_7 = re.compile(rf"^\d{{6}}{_BIRTH}")


def _digits(run: str) -> str:
    return "".join(str(CN_DIGITS[c]) if c in CN_DIGITS else str(int(c)) if c.isdigit() else "" for c in run)


def _label_of_run(match: re.Match) -> str:
    run = match.group(0)
    if len(set(re.findall(_RUN_SEP, run))) > 1:
        return run  # mixed separators: a list of numbers ("2026/12/01 13:00"), not one number
    digits = _digits(run)
    if (
        len(digits) == 11
        and re.match(r"1[3-9]", digits)
        or len(digits) == 13
        and re.match(r"861[3-9]", digits)
    ):
        return MOBILE
    if len(digits) == 18 and _BIRTH_AT_7.match(digits) or len(digits) == 15:
        return ID_NUMBER
    if 16 <= len(digits) <= 19:
        return BANK_CARD
    return run


def mask(text: str) -> str:
    """The text with ID numbers, mobile numbers and bank card numbers replaced by labels, however their
    digits are written."""
    for pattern, label in _PATTERNS:
        text = pattern.sub(label, text)
    return _RUN.sub(_label_of_run, text)
