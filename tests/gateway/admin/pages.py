"""Reading facts back out of the console's HTML in tests."""

from __future__ import annotations

import html as entities
import re

ROW = re.compile(r'<tr class="[^"]*" data-conversation="(\d+)">')
ROW_BODY = re.compile(r'<tr class="[^"]*" data-conversation="(\d+)">(.*?)</tr>', re.S)
TOTAL = re.compile(r'<span class="count" id="total">(\d+)</span>')
CHIP = re.compile(r'data-filter="(\w+)"[^>]*>[^<]*<b>(\d+)</b>')
BADGE = re.compile(r'<span class="badge [\w ]+"[^>]*>([^<]*)</span>')
TAG = re.compile(r"<[^>]+>")


def inbox_ids(html: str) -> list[int]:
    return [int(x) for x in ROW.findall(html)]


def total(html: str) -> int:
    found = TOTAL.search(html)
    assert found, "no total on the page"
    return int(found.group(1))


def chip_counts(html: str) -> dict[str, int]:
    return {name: int(n) for name, n in CHIP.findall(html)}


def text(fragment: str) -> str:
    """What a reader sees of an HTML fragment: tags dropped, entities decoded, spaces squeezed."""
    return " ".join(entities.unescape(TAG.sub("", fragment)).split())


def inbox_cells(html: str, css: str) -> dict[int, str]:
    """conversation id → the inbox cell of that class (its first one), as text."""
    cell = re.compile(rf'<td class="{css}[^"]*">(.*?)</td>', re.S)
    return {int(cid): text(cell.search(body).group(1)) for cid, body in ROW_BODY.findall(html)}


def inbox_badges(html: str) -> dict[int, list[str]]:
    cell = re.compile(r'<td class="badges">(.*?)</td>', re.S)
    return {int(cid): BADGE.findall(cell.search(body).group(1)) for cid, body in ROW_BODY.findall(html)}
