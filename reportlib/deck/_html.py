"""HTML for the deck's pages: the one place where text becomes markup.

Everything a page shows can come from a company's files (customer ids, the company's name,
segment values, file names in warnings, the analyst's commentary), so the deck never
writes text into HTML without passing it through :func:`esc`, and renders commentary
Markdown with raw HTML disabled (:func:`markdown`). The template's Content-Security-Policy
and Chromium's offline flags (:mod:`reportlib.render.chromium`) are the walls behind this
one, for an escape that is missed.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from html import escape
from typing import Any

import pandas as pd
from IPython.display import HTML, display
from markdown_it import MarkdownIt

__all__ = ["esc", "md_text", "markdown", "paragraph", "bullets", "show_html", "escaped_styler"]

#: Link targets a commentary may keep (printed as a link, never fetched); anything else
#: (javascript:, file:, data:, relative paths) stays plain text.
_LINK_SCHEMES = ("http://", "https://", "mailto:")


def esc(value: Any) -> str:
    """``value`` as HTML text: ``& < > " '`` escaped, so that it can never become markup."""
    return escape("" if value is None else str(value), quote=True)


_MARKDOWN_PUNCTUATION = re.compile(r"([\\`*_\[\]()#!|~{}:])")  # ':' stops bare-URL links


def md_text(value: Any) -> str:
    """``value`` as literal text inside Markdown that nbconvert renders (the portfolio
    summary's tables): ``& < >`` escaped, then Markdown's punctuation backslash-escaped, so
    that it can be neither markup, nor a link or an image, nor break out of a table cell.

    Quotes stay as they are: text between tags cannot leave its element by a quote, and the
    ``&#x27;`` that :func:`esc` writes for ``'`` has a ``#``, which the punctuation escape
    turns into the literal text ``&#x27;`` on the page (a failed pack's "the month's lower
    MRR" was printed so)."""
    text = escape("" if value is None else str(value), quote=False)
    return _MARKDOWN_PUNCTUATION.sub(r"\\\1", text.replace("\n", " "))


def _markdown_parser() -> MarkdownIt:
    # CommonMark with raw HTML off (a <script> or <iframe> is shown as text), images off
    # (an image is a fetch), links only to web or mail addresses.
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    md.disable(["image", "html_block", "html_inline"])
    md.validateLink = lambda url: url.strip().lower().startswith(_LINK_SCHEMES)
    return md


_MARKDOWN = _markdown_parser()


def markdown(text: str) -> str:
    """Untrusted Markdown (e.g. commentary.md) as safe HTML: no raw HTML, no images, no
    ``javascript:`` or ``file:`` links."""
    return _MARKDOWN.render(str(text))


def paragraph(text: Any, css_class: str = "") -> str:
    """One escaped paragraph, optionally in a ``<span class=...>`` (the deck's muted lines)."""
    inner = f'<span class="{esc(css_class)}">{esc(text)}</span>' if css_class else esc(text)
    return f"<p>{inner}</p>\n"


def bullets(items: Iterable[Any]) -> str:
    """An escaped bullet list."""
    return "<ul>\n" + "".join(f"<li>{esc(i)}</li>\n" for i in items) + "</ul>\n"


def show_html(html: str) -> None:
    """Display HTML built with the helpers above as a notebook output."""
    display(HTML(html))


def escaped_styler(
    df: pd.DataFrame, formats: Mapping[Any, Callable[[Any], str]] | None = None, na_rep: str | None = None
) -> Any:
    """``df.style`` with every cell and column header escaped. pandas escapes a text value
    before a ``formats`` function sees it; the functions themselves must return text, not
    markup (the deck's number formatters do)."""
    return df.style.format(dict(formats) if formats else None, na_rep=na_rep, escape="html").format_index(
        escape="html", axis="columns"
    )
