"""Text for a terminal: a company's strings are printed as text, never as terminal commands.

A customer id, segment or company name from a company's files may hold an ANSI escape
sequence (``\\x1b[31m``, ``\\x1b]0;title\\x07``, ``\\x1b[2J``), a carriage return that
overwrites the line before it, or a right-to-left override (U+202E) that shows a line
reversed. Printed as they are, they recolour, clear or retitle the analyst's terminal and can
make ``validate`` appear to say something it did not. Every line the CLI prints goes through
:func:`terminal_text`, which shows such characters as their Python escapes (``\\x1b``,
``\\u202e``, a carriage return ``\\x0d``); line breaks and tabs the CLI writes itself are kept.
"""

from __future__ import annotations

import re

__all__ = ["terminal_text"]

#: C0 controls but tab and line feed, DEL, C1 controls (0x9b is a one-byte CSI), and the
#: Unicode bidirectional controls (marks, embeddings, overrides, isolates).
_UNPRINTABLE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def terminal_text(text: object) -> str:
    r"""``text`` with every character a terminal would act on shown as its escape.

    >>> terminal_text("Acme\x1b[31m red\u202eRLO\r0 errors\n")
    'Acme\\x1b[31m red\\u202eRLO\\x0d0 errors\n'
    """
    return _UNPRINTABLE.sub(_escape, str(text))


def _escape(match: re.Match[str]) -> str:
    char = match.group(0)
    return f"\\x{ord(char):02x}" if ord(char) < 0x100 else f"\\u{ord(char):04x}"
