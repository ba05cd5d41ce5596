"""Understanding what a worker types: amounts, durations, people counts, dates and places.

Pure functions over free text (phone typing, colloquial Chinese, Yunnan dialect, voice-to-text), with no
work done at import time; the place gazetteer (``policy_kb/gazetteer/places.yml``) is read on first use.

    parse_amount("车票花了680")            -> 680.0
    parse_months("两个多月")              -> Quantity(value=2.0, approximate=True, ...)
    parse_counts("组织了25人，还有18人在干") -> [Quantity(value=25, ...), Quantity(value=18, ...)]
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
    parse_counts,
    parse_months,
)
from .places import (
    AMBIGUOUS,
    IN_COUNTY,
    IN_PROVINCE_OUT_OF_COUNTY,
    OUT_OF_PROVINCE,
    TIERS,
    PlaceMatch,
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
    "normalize",
    "number_value",
    "parse_amount",
    "parse_amounts",
    "parse_counts",
    "parse_date",
    "parse_months",
    "parse_place",
]
