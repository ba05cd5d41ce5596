"""Understanding what a worker types: amounts, durations, people counts, percentages, dates and places.

Pure functions over free text (phone typing, colloquial Chinese, Yunnan dialect, voice-to-text), with no
work done at import time; the place gazetteer (``policy_kb/gazetteer/places.yml``) is read on first use.

    parse_amount("车票花了680")            -> 680.0
    parse_months("两个多月")              -> Quantity(value=2.0, approximate=True, ...)
    parse_count("两百多人")               -> Quantity(value=200, approximate=True, ...)
    parse_percent("七成")                 -> 70.0
    stability_rate(25, 18)               -> 72.0
    parse_date("上个月10号", today)        -> ParsedDate(date=..., text_understood="2026年10月10日", ...)
    parse_place("克广东")                 -> PlaceMatch(tier="out_of_province", display="广东省", ...)
"""

from .dates import ParsedDate, parse_date
from .numbers import (
    Quantity,
    normalize,
    number_value,
    parse_amount,
    parse_amounts,
    parse_count,
    parse_counts,
    parse_months,
    parse_percent,
    stability_rate,
)
from .places import (
    AMBIGUOUS,
    IN_COUNTY,
    IN_PROVINCE_OUT_OF_COUNTY,
    OUT_OF_PROVINCE,
    TIERS,
    PlaceMatch,
    is_ambiguous_place,
    parse_place,
)

__all__ = [
    "AMBIGUOUS",
    "IN_COUNTY",
    "IN_PROVINCE_OUT_OF_COUNTY",
    "OUT_OF_PROVINCE",
    "TIERS",
    "ParsedDate",
    "PlaceMatch",
    "Quantity",
    "is_ambiguous_place",
    "normalize",
    "number_value",
    "parse_amount",
    "parse_amounts",
    "parse_count",
    "parse_counts",
    "parse_date",
    "parse_months",
    "parse_percent",
    "parse_place",
    "stability_rate",
]
