"""Personal data is masked; the office phones, the hotline, dates and amounts are not."""

from __future__ import annotations

import pytest

from bot.gateway.pii import BANK_CARD, ID_NUMBER, MOBILE, mask


@pytest.mark.parametrize(
    "text, expected",
    [
        ("我身份证530326199001011234", f"我身份证{ID_NUMBER}"),
        ("53032619900101123X号", f"{ID_NUMBER}号"),
        ("证号53032619900101123x", f"证号{ID_NUMBER}"),
        ("530326 19900101 1234", ID_NUMBER),
        ("５３０３２６１９９００１０１１２３Ｘ", ID_NUMBER),  # full-width, as some keyboards type it
        ("老身份证530326900101123", f"老身份证{ID_NUMBER}"),  # 15 digits, first generation
        ("手机13912345678", f"手机{MOBILE}"),
        ("139 1234 5678", MOBILE),
        ("139-1234-5678", MOBILE),
        ("+86 139 1234 5678", MOBILE),
        ("+8613912345678", MOBILE),
        ("0086-13912345678打我", f"{MOBILE}打我"),
        ("电话19987654321。", f"电话{MOBILE}。"),
        ("１３９１２３４５６７８", MOBILE),
        ("卡号6222021234567890123", f"卡号{BANK_CARD}"),
        ("工资卡6222 0212 3456 7890", f"工资卡{BANK_CARD}"),
        ("6217-0012-3456-7890-123", BANK_CARD),
        ("6228480402564890018", BANK_CARD),  # 19 digits
        ("6222021234567890", BANK_CARD),  # 16 digits
        ("530326199001011234,13912345678", f"{ID_NUMBER},{MOBILE}"),
        ("身份证530326199001011234 手机13912345678", f"身份证{ID_NUMBER} 手机{MOBILE}"),
    ],
)
def test_personal_numbers_are_masked(text, expected):
    assert mask(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "打0874-5120155问问",
        "监察大队0874-5125539",
        "08745120155",
        "0874 5120155",
        "12333",
        "打了0874-5120155 12333都没人接",
        "车票花了680",
        "补500元，干了3个月",
        "工资16000元",
        "2023年5月1日离职",
        "20230501",
        "１２３３３",
        "会政发〔2018〕20号第16条",
        "12345678901",  # 11 digits but not a mobile (12…)
        "1.2万",
    ],
)
def test_office_phones_hotline_dates_and_amounts_stay(text):
    assert mask(text) == text


def test_masking_is_idempotent():
    once = mask("手机13912345678，卡6222021234567890123")
    assert mask(once) == once


# Issue #13, item 5: the same numbers however they are spelt ------------------------------------------


@pytest.mark.parametrize(
    "text, expected",
    [
        ("138.1234.5678", MOBILE),
        ("打138/1234/5678", f"打{MOBILE}"),
        ("138\u00a01234\u00a05678", MOBILE),  # no-break spaces, pasted from a web page
        ("1 3 8 1 2 3 4 5 6 7 8", MOBILE),  # read out digit by digit
        ("13 8123 45678", MOBILE),  # grouped any way
        ("我电话一三八一二三四五六七八", f"我电话{MOBILE}"),
        ("幺三八幺二三四五六七八", MOBILE),  # WeChat's voice input reads 1 as 幺
        ("一三八 一二三四 五六七八", MOBILE),
        ("6222.0212.3456.7890", BANK_CARD),
        ("卡号6222/0212/3456/7890/123", f"卡号{BANK_CARD}"),
        ("530326.19900101.1234", ID_NUMBER),
    ],
)
def test_personal_numbers_are_masked_however_they_are_spelt(text, expected):
    assert mask(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "0874.512.0155",
        "0874 512 0155",
        "2026.12.01",
        "2026/12/01 13:00",
        "一二三",
        "三百五十块",
        "干了三个月 车票五六百",
        "打12333 0874-5120155",
        "二〇二六年十二月一日",
    ],
)
def test_numbers_that_must_stay_however_they_are_spelt(text):
    assert mask(text) == text
