"""Reading facts back out of the console's HTML in tests."""

from __future__ import annotations

import re

ROW = re.compile(r'<tr class="[^"]*" data-conversation="(\d+)">')
TOTAL = re.compile(r'<span class="count" id="total">(\d+)</span>')
CHIP = re.compile(r'data-filter="(\w+)"[^>]*>[^<]*<b>(\d+)</b>')


def inbox_ids(html: str) -> list[int]:
    return [int(x) for x in ROW.findall(html)]


def total(html: str) -> int:
    found = TOTAL.search(html)
    assert found, "no total on the page"
    return int(found.group(1))


def chip_counts(html: str) -> dict[str, int]:
    return {name: int(n) for name, n in CHIP.findall(html)}
