"""Words on the pages: titles, narrative sentences, the analyst's commentary and notes.

Behind :mod:`reportlib.deck.report`, which the notebooks import.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from reportlib import format as F
from reportlib import registry as reg
from reportlib.deck import _reads
from reportlib.deck import _style as S
from reportlib.deck._facts import (
    alerts,
    as_of,
    company_name,
    currency,
    has_input,
    kpi_row,
    kpi_rows,
    period_label,
    segment_value,
    short_name,
)
from reportlib.deck._html import bullets, esc, markdown, paragraph, show_html
from reportlib.deck._load import first_page_of
from reportlib.inputs.commentary import BLOCKS, commentary_blocks
from reportlib.kpis import KpiResult
from reportlib.values import is_blank

#: Blocks of the pack the commentary's headings can name (see reportlib.inputs.commentary).
SECTIONS = BLOCKS


def narrative(result: KpiResult, section: str) -> list[str]:
    """The generated sentences of one section of the pack (none when it has none)."""
    return [s for s in result.narrative.get(section, []) if s.strip()]


def short(sentence: str, limit: int = 90) -> str:
    """A sentence short enough for a slide title: up to its first ';' (or ':') when it is
    longer than ``limit`` characters, without the final full stop."""
    s = sentence.strip().rstrip(".")
    if len(s) <= limit:
        return s
    for sep in ("; ", ": ", ", while "):
        head = s.split(sep)[0]
        if 20 <= len(head) <= limit:
            return head
    return s


def headline(result: KpiResult, section: str, fallback: str) -> str:
    """The page title of a section's first page: its first narrative sentence (shortened
    for a title), else ``fallback``."""
    s = narrative(result, section)
    return short(s[0]) if s else fallback


#: Old section ids that name a commentary block of the pack.
_BLOCK_OF_SECTION = {"summary": "highlights"}


def commentary_sections(result: KpiResult) -> dict[str, str]:
    """The analyst's commentary of one pack, block id -> text
    (:func:`reportlib.inputs.commentary.commentary_blocks`): the as-of month's
    ``commentary/<YYYY-MM>.md`` when there is one, else ``commentary.md``; in a segment pack
    only the headings that name its segment, in a company pack only those that name none.
    The notebook's run records that it read every block (:mod:`reportlib.deck._reads`)."""
    return _commentary_of(result, None)


def commentary(result: KpiResult, section: str) -> str:
    """The analyst's commentary for one block of the pack ("" when there is none): highlights
    (the ``summary`` heading), risks, asks, or a page family (revenue_quality, ...). The
    notebook's run records that it read this block only."""
    return _commentary_of(result, _BLOCK_OF_SECTION.get(section, section))


def _commentary_of(result: KpiResult, block: str | None) -> Any:
    """Every block (``block`` None) or one block's text, recorded as read."""
    where = (result.company.path, as_of(result), segment_value(result))
    with _reads.untracked():  # recorded by block below, not as a file
        blocks = commentary_blocks(*where)
    seen = blocks if block is None else blocks.get(block, "")
    _reads.commentary_read(*where, block, seen)
    return seen


def _kicker(section: str, result: KpiResult | None = None) -> str:
    """The small line above a section's first title: 'Appendix · Meridian · Q3 2026'."""
    kicker = reg.SECTION_TITLES.get(section, section)
    if result is not None:
        kicker += f" · {company_name(result)} · {period_label(result)}"
    return paragraph(kicker, "bp-muted")


def title(text: str, section: str | None = None, result: KpiResult | None = None) -> None:
    """Show a slide title (a level-2 heading starts a page in the exported deck). With
    ``section`` (a section's first page) a small line naming the section comes first."""
    # a signed figure never breaks after its sign ("−" at a line's end, "$376k" on the next)
    heading = _SIGNED.sub(lambda m: f'<span style="white-space: nowrap">{m.group(0)}</span>', esc(text))
    show_html((_kicker(section, result) if section else "") + f"<h2>{heading}</h2>\n")


_SIGNED = re.compile(r"(?<!\S)[+−-][^\s<]+")


def _lower_first(name: str) -> str:
    """'Win rate' -> 'win rate' in a sentence; 'NPS' stays."""
    return name[:1].lower() + name[1:] if name[1:2].islower() else name


def section_intro(result: KpiResult, section: str, fallback: str | None = None, title: str | None = None) -> None:
    """First page of a section: a small line naming the section, the title (``title``, else
    the first narrative sentence, else ``fallback``), the other sentences as bullets and the
    analyst's commentary for the section.

    The section line comes before the heading in the same output, so the heading is not
    the first thing of the section's document and no blank page is forced before it."""
    sentences = narrative(result, section)
    if title:
        head, rest = title, sentences
    else:
        head = short(sentences[0]) if sentences else (fallback or reg.SECTION_TITLES.get(section, section))
        rest = sentences if sentences and head != sentences[0].strip().rstrip(".") else sentences[1:]
    show_html(_kicker(section, result) + f"<h2>{esc(head)}</h2>\n" + (bullets(rest) if rest else ""))
    show_commentary(result, section)


def show_commentary(result: KpiResult, section: str) -> None:
    """The analyst's commentary for ``section`` as a quote: Markdown, raw HTML shown as text."""
    text = commentary(result, section)
    if text:
        show_html(f"<blockquote>\n<p><strong>Analyst commentary</strong></p>\n{markdown(text)}</blockquote>\n")


def commentary_once(result: KpiResult, section: str) -> Callable[[], None]:
    """A function showing the analyst's commentary for ``section`` the first time it is
    called, then nothing: a section whose pages are each optional calls it after every page,
    so that the commentary lands on the first page there is."""
    shown = False

    def show_once() -> None:
        nonlocal shown
        if not shown:
            shown = True
            show_commentary(result, section)

    return show_once


def note(text: str) -> None:
    """A one-line muted note on the page."""
    show_html(paragraph(text, "bp-note"))


def show_text(text: str) -> None:
    """Markdown text (raw HTML shown as text, no images)."""
    show_html(markdown(text))


def needs(result: KpiResult, inputs: str | Sequence[str], what: str, any_of: bool = False) -> bool:
    """True when the company has the input(s) ``what`` needs; otherwise shows the one-line
    note saying which file would enable it and returns False."""
    names = [inputs] if isinstance(inputs, str) else list(inputs)
    present = [has_input(result, n) for n in names]
    ok = any(present) if any_of else all(present)
    if not ok:
        missing = [n for n, p in zip(names, present, strict=False) if not p]
        note(f"{what} is left out: it {reg.needs_text(names if any_of else missing, 'or' if any_of else 'and')}.")
    return ok


def sentence(result: KpiResult, section: str, contains: str | Sequence[str], fallback: str) -> str:
    """The first narrative sentence of ``section`` containing one of ``contains`` (case
    insensitive), without its final full stop; ``fallback`` when none does."""
    keys = [contains] if isinstance(contains, str) else list(contains)
    # the section's first sentence is already its first page's title
    for s in narrative(result, section)[1:]:
        if any(k.lower() in s.lower() for k in keys):
            return short(s, 110)
    return fallback


def _and(names: Sequence[str]) -> str:
    names = list(names)
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def show_alerts(result: KpiResult, empty: str = "") -> None:
    items = alerts(result)
    if items:
        show_html(bullets(f"⚠ {a}" for a in items))
    elif empty:
        note(empty)


def show_bullets(items: Iterable[str]) -> None:
    items = [str(i) for i in items if str(i).strip()]
    if items:
        show_html(bullets(items))


def missing_notes(result: KpiResult, wanted: Sequence[tuple[str | Sequence[str], str]]) -> None:
    """One line per part of a section the inputs do not enable: ``wanted`` is a list of
    (input or inputs of which any enables it, what it is)."""
    for inputs, what in wanted:
        names = [inputs] if isinstance(inputs, str) else list(inputs)
        if not any(has_input(result, n) for n in names):
            note(f"{what} is left out: it {reg.needs_text(names, 'or')}.")


def kpi_note(result: KpiResult, kpi: str, what: str) -> None:
    """The note of a blank KPI as the reason a chart is left out."""
    n = kpi_row(result, kpi).get("note")
    note(f"{what} is left out: {'' if is_blank(n) else n}.")


def page_title(result: KpiResult, text: str) -> str:
    """A page's title; in a segment pack it names the segment first, so that no number on
    the page reads as the company's ("Enterprise: ARR grew 9% ..."). It starts with a capital
    even when a segment's name does not ("Self-serve vs assisted: ...")."""
    seg = segment_value(result)
    text = f"{seg}: {text}" if seg and not text.startswith(f"{seg}:") else text
    return text[:1].upper() + text[1:]


def _said(result: KpiResult, kpi: str) -> str:
    """A KPI's value as a sentence writes it ('10.8 days', '49,049')."""
    r = kpi_row(result, kpi)
    return F.value(r.get("value"), r.get("unit"), currency(result), context="text")


def _name(result: KpiResult, kpi: str) -> str:
    """A KPI's short name inside a sentence: lower case unless it starts with an acronym."""
    name = short_name(result, kpi)
    return name if name[:2].isupper() else name[:1].lower() + name[1:]


def page(result: KpiResult, text: str, section: str) -> None:
    """A page's title; the first page a section shows also gets the small line naming the
    section (whichever of its pages the inputs let through first)."""
    first = first_page_of(section)
    title(text, section if first else None, result if first else None)


def _status_phrase(result: KpiResult, kpis: Sequence[str]) -> str:
    """'Burn multiple and CAC payback amber; NRR, LTV:CAC and magic number green', worst first."""
    rows = kpi_rows(result, kpis, keep_blank=False)
    by_status: dict[str, list[str]] = {}
    for k, st in zip(rows["kpi"], rows["status"], strict=True):
        key = S.status_key(st)
        if key:
            by_status.setdefault(key, []).append(_name(result, str(k)))
    return "; ".join(f"{_and(by_status[st])} {st}" for st in ("red", "amber", "green") if by_status.get(st))
