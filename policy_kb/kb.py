"""Load, validate and render the policy knowledge base.

Everything the bot states as fact (documents, offices, phones, amounts, thresholds, answers) lives as
YAML under this package. This module reads it once, checks it, and renders answer texts by filling
their placeholders from the parameters and contacts, so a number is written in exactly one place.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent
DATA = ROOT / "data"
PARAMETERS = ROOT / "parameters"

UNIT_SUFFIX = {
    "yuan": "元",
    "yuan_per_person": "元/人",
    "yuan_per_month": "元/月",
    "month": "个月",
    "day": "天",
    "year": "年",
    "person": "人",
    "percent": "%",
    "times": "次",
    "age": "周岁",
}

PLACEHOLDER = re.compile(r"\{(param|value|contact):([a-z0-9_.]+)\}")
ANSWER_KINDS = {"faq", "chitchat", "system"}
# A 360×740 phone shows about 200 Chinese characters of 18 px text without scrolling: the first bubble of
# an answer (its text, the confirm line and the source line) fits in that; details wait behind "看详细".
FIRST_BUBBLE_LIMIT = 200
DETAILS_BUTTON = "看详细"


class KnowledgeBaseError(ValueError):
    """The knowledge base data is inconsistent; the message lists every problem found."""


@dataclass(frozen=True)
class Reference:
    doc: str
    item: str = ""


@dataclass(frozen=True)
class Document:
    key: str
    short_name: str
    doc_number: str | None
    issuer: str
    year: int | None  # None when the seed does not state it (the county Q&A sheet)
    scope: str
    rank: int
    valid_until: dt.date | None = None

    @property
    def label(self) -> str:
        """How the bot names the document in a citation: its 文号 when it has one."""
        return self.doc_number or f"《{self.short_name}》"


@dataclass(frozen=True)
class Contact:
    key: str
    name: str
    short_name: str
    phone: str
    serves: str
    source: Reference


@dataclass(frozen=True)
class Parameter:
    """One policy parameter: values keyed by the date they take effect (None = repealed)."""

    name: str
    description: str
    unit: str
    reference: Reference
    values: tuple[tuple[dt.date, float | None], ...]

    def at(self, as_of: dt.date | None = None) -> float | None:
        """The value in force on `as_of` (today when omitted); None before the first date."""
        as_of = as_of or dt.date.today()
        current = None
        for start, value in self.values:
            if start <= as_of:
                current = value
        return current


@dataclass(frozen=True)
class Answer:
    key: str
    kind: str
    title: str
    summary: str
    text: str
    cites: tuple[Reference, ...] = ()
    confirm: bool = False
    details: str = ""  # the full list, documents, the statutory explanation: a second bubble on request


@dataclass
class KnowledgeBase:
    documents: dict[str, Document] = field(default_factory=dict)
    contacts: dict[str, Contact] = field(default_factory=dict)
    parameters: dict[str, Parameter] = field(default_factory=dict)
    answers: dict[str, Answer] = field(default_factory=dict)

    # -- lookups -------------------------------------------------------------------------------
    def value(self, name: str, as_of: dt.date | None = None) -> float | None:
        return self.parameters[name].at(as_of)

    def faq_keys(self) -> list[str]:
        return [k for k, a in self.answers.items() if a.kind == "faq"]

    # -- rendering -----------------------------------------------------------------------------
    def fill(self, template: str, as_of: dt.date | None = None) -> str:
        """Replace {param:…}, {value:…} and {contact:…} placeholders in a template."""

        def replace(match: re.Match) -> str:
            kind, name = match.groups()
            if kind == "contact":
                key, _, attr = name.partition(".")
                return str(getattr(self.contacts[key], attr or "name"))
            parameter = self.parameters[name]
            number = format_number(parameter.at(as_of))
            return number if kind == "value" else number + UNIT_SUFFIX[parameter.unit]

        return PLACEHOLDER.sub(replace, template)

    def citation(self, refs: tuple[Reference, ...] | list[Reference]) -> str:
        """'来源：会政发〔2018〕20号第16条；《转移就业政策问答》第11问、第6问' (items of one document together)."""
        items: dict[str, list[str]] = {}
        for ref in refs:
            parts = items.setdefault(self.documents[ref.doc].label, [])
            if ref.item not in parts:
                parts.append(ref.item)
        return (
            "来源：" + "；".join(label + "、".join(parts) for label, parts in items.items()) if items else ""
        )

    def confirm_line(self) -> str:
        """One short line under an answer that gives amounts: they are the documents' own."""
        return f"金额是文件当年的标准，办之前请打{self.contacts['center'].phone}核实。"

    def first_bubble(self, key: str, as_of: dt.date | None = None) -> str:
        """What a worker sees first: the answer, the confirm line when it gives amounts, the source."""
        answer = self.answers[key]
        lines = [self.fill(answer.text, as_of).strip()]
        if answer.confirm:
            lines.append(self.confirm_line())
        if answer.cites:
            lines.append(self.citation(answer.cites))
        return "\n".join(lines)

    def details(self, key: str, as_of: dt.date | None = None, source: bool = True) -> str:
        """The second bubble of an answer ("" when it has none), with its source line unless it follows
        the first bubble at once (which carries the source)."""
        answer = self.answers[key]
        if not answer.details.strip():
            return ""
        lines = [self.fill(answer.details, as_of).strip()]
        if source and answer.cites:
            lines.append(self.citation(answer.cites))
        return "\n".join(lines)

    def render(self, key: str, as_of: dt.date | None = None) -> str:
        """The reply for an answer key as first sent: its first bubble."""
        return self.first_bubble(key, as_of)

    def full_text(self, key: str, as_of: dt.date | None = None) -> str:
        """First bubble and details in one text, for exports and the helpdesk."""
        details = self.details(key, as_of, source=False)
        return self.first_bubble(key, as_of) + ("\n" + details if details else "")

    # -- validation ----------------------------------------------------------------------------
    def problems(self) -> list[str]:
        """Every inconsistency in the data; an empty list means the knowledge base is sound."""
        found: list[str] = []
        refs: list[tuple[str, Reference]] = [
            (f"parameter {p.name}", p.reference) for p in self.parameters.values()
        ]
        refs += [(f"contact {c.key}", c.source) for c in self.contacts.values()]
        for answer in self.answers.values():
            refs += [(f"answer {answer.key}", r) for r in answer.cites]
            if answer.kind not in ANSWER_KINDS:
                found.append(f"answer {answer.key}: unknown kind {answer.kind!r}")
            if answer.kind == "faq" and not answer.cites:
                found.append(f"answer {answer.key}: an FAQ answer must cite a document")
            for part in (answer.text, answer.details):
                found += self._placeholder_problems(f"answer {answer.key}", part)
                residue = PLACEHOLDER.sub("", part)
                if re.search(r"\d{3,}", residue):
                    found.append(f"answer {answer.key}: a number is typed in the text, use a placeholder")
        for where, ref in refs:
            if ref.doc not in self.documents:
                found.append(f"{where}: cites unknown document {ref.doc!r}")
        for parameter in self.parameters.values():
            if parameter.unit not in UNIT_SUFFIX:
                found.append(f"parameter {parameter.name}: unknown unit {parameter.unit!r}")
            if not parameter.values:
                found.append(f"parameter {parameter.name}: no values")
        return found

    def _placeholder_problems(self, where: str, text: str) -> list[str]:
        found = []
        for kind, name in PLACEHOLDER.findall(text):
            if kind == "contact":
                key, _, attr = name.partition(".")
                if key not in self.contacts or attr not in ("", "name", "short_name", "phone"):
                    found.append(f"{where}: unknown contact placeholder {name!r}")
            elif name not in self.parameters:
                found.append(f"{where}: unknown parameter {name!r}")
        leftover = re.findall(r"\{[^{}]*\}", PLACEHOLDER.sub("", text))
        found += [f"{where}: malformed placeholder {p}" for p in leftover]
        return found


def format_number(value: float | None) -> str:
    """500.0 -> '500', 0.5 -> '0.5', 100000 -> '10万'."""
    if value is None:
        return "（无现行标准）"
    if value >= 10000 and value % 10000 == 0:
        return f"{int(value // 10000)}万"
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def _reference(raw: Any) -> Reference:
    raw = raw or {}
    return Reference(doc=str(raw.get("doc", "")), item=str(raw.get("item", "")))


def _as_date(value: Any) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


def _read(path: Path) -> dict:
    with path.open(encoding="utf-8") as handle:
        return yaml.safe_load(handle) or {}


def _load_parameters(folder: Path) -> dict[str, Parameter]:
    parameters = {}
    for path in sorted(folder.glob("*.yml")):
        for key, raw in _read(path).items():
            name = f"{path.stem}.{key}"
            values = tuple(
                sorted((_as_date(d), None if v is None else float(v)) for d, v in raw["values"].items())
            )
            parameters[name] = Parameter(
                name=name,
                description=raw["description"],
                unit=raw["unit"],
                reference=_reference(raw.get("reference")),
                values=values,
            )
    return parameters


def load(root: Path = ROOT) -> KnowledgeBase:
    """Read the knowledge base from YAML (no validation; see `problems`)."""
    data = root / "data"
    documents = {
        key: Document(
            key=key,
            short_name=raw["short_name"],
            doc_number=raw.get("doc_number"),
            issuer=raw["issuer"],
            year=int(raw["year"]) if raw.get("year") else None,
            scope=raw["scope"],
            rank=int(raw.get("rank", 0)),
            valid_until=_as_date(raw["valid_until"]) if raw.get("valid_until") else None,
        )
        for key, raw in _read(data / "documents.yml").items()
    }
    contacts = {
        key: Contact(
            key=key,
            name=raw["name"],
            short_name=raw.get("short_name", raw["name"]),
            phone=str(raw["phone"]),
            serves=raw.get("serves", ""),
            source=_reference(raw.get("source")),
        )
        for key, raw in _read(data / "contacts.yml").items()
    }
    answers = {
        key: Answer(
            key=key,
            kind=raw.get("kind", "faq"),
            title=raw["title"],
            summary=raw.get("summary", raw["title"]),
            text=raw["text"],
            cites=tuple(_reference(c) for c in raw.get("cites") or ()),
            confirm=bool(raw.get("confirm", False)),
            details=raw.get("details") or "",
        )
        for key, raw in _read(data / "answers.yml").items()
    }
    return KnowledgeBase(documents, contacts, _load_parameters(root / "parameters"), answers)


@lru_cache(maxsize=1)
def get() -> KnowledgeBase:
    """The validated knowledge base, loaded once per process."""
    kb = load()
    problems = kb.problems()
    if problems:
        raise KnowledgeBaseError("policy_kb is inconsistent:\n- " + "\n- ".join(problems))
    return kb
