"""Numbers as text: one formatter per kind, the output context as a parameter.

``context="table"`` (the default) is what charts, KPI tiles and tables show: compact,
a typographic minus ("−"), "–" for a blank, "14 mo", "30 d". ``context="text"`` is what
generated sentences say: an ASCII minus, "n/a" for a blank, "14.2 months", "30 days",
and percentages with a decimal under 10% ("5.3%"). great_tables' ``fmt_*`` family is the
model: the same function everywhere, the context deciding the look.

>>> money(1_234_567, "EUR")
'€1.2M'
>>> value(0.053, "ratio", context="text")
'5.3%'
>>> change(-0.3, "multiple")
'−0.3x'
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from reportlib.values import finite, is_blank

__all__ = [
    "CURRENCY_SYMBOLS",
    "Context",
    "change",
    "currency_symbol",
    "days",
    "difference",
    "excel_change_format",
    "excel_difference_format",
    "excel_format",
    "footed",
    "money",
    "months",
    "multiple",
    "number",
    "percent",
    "points",
    "unit_kind",
    "value",
]

Context = Literal["table", "text"]

CURRENCY_SYMBOLS = {
    "EUR": "€",
    "USD": "$",
    "GBP": "£",
    "JPY": "¥",
    "CHF": "CHF ",
    "SEK": "SEK ",
    "NOK": "NOK ",
    "DKK": "DKK ",
    "CAD": "C$",
    "AUD": "A$",
    "INR": "₹",
}
_BLANK = {"table": "–", "text": "n/a"}
_MINUS = {"table": "−", "text": "-"}

# unit (as written in kpis.csv or a table's format) -> kind of formatting
_UNIT_KINDS = {
    "currency": "money",
    "money": "money",
    "eur": "money",
    "usd": "money",
    "gbp": "money",
    "ratio": "pct",
    "fraction": "pct",
    "percent": "pct",
    "pct": "pct",
    "%": "pct",
    "share": "pct",
    "rate": "pct",
    "multiple": "multiple",
    "x": "multiple",
    "times": "multiple",
    "months": "months",
    "month": "months",
    "days": "days",
    "day": "days",
    "score": "score",
    "count": "number",
    "number": "number",
    "customers": "number",
    "people": "number",
    "users": "number",
    "leads": "number",
    "visitors": "number",
}


def unit_kind(unit: object) -> str:
    """money / pct / multiple / months / days / score / number for a unit name."""
    u = "" if is_blank(unit) else str(unit).strip().lower()
    return _UNIT_KINDS.get(u, "number")


def currency_symbol(currency: str | None) -> str:
    """'EUR' -> '€'; a code without a symbol is written out with a space ('NZD ')."""
    if not currency:
        return ""
    return CURRENCY_SYMBOLS.get(str(currency).upper(), f"{str(currency).upper()} ")


def _sign(v: float, rounds_to_zero: bool, sign: bool, context: Context, unchanged: str = "") -> str:
    """The context's minus for negatives, '+' for positives when asked, and ``unchanged``
    for a value that rounds to zero (never '−0%')."""
    if rounds_to_zero:
        return unchanged
    if v < 0:
        return _MINUS[context]
    return "+" if sign and v > 0 else ""


def _strip(text: str) -> str:
    return text.rstrip("0").rstrip(".") if "." in text else text


def _compact(x: float, decimals: int | None = None, sig: int | None = None) -> tuple[str, str]:
    """|x| as text and a k / M / B suffix: one decimal under 100 of the unit (trailing
    zeros dropped) unless ``decimals`` or ``sig`` (significant digits) say otherwise."""
    ax = abs(x)
    for div, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if ax >= div * 0.9995:
            v = ax / div
            if sig is not None and decimals is None:
                digits = len(str(int(v))) if v >= 1 else 1
                return _strip(f"{v:.{max(0, sig - digits)}f}"), suffix
            text = f"{v:.{decimals if decimals is not None else (1 if v < 100 else 0)}f}"
            return (_strip(text) if decimals is None else text), suffix
    return f"{ax:,.{decimals if decimals is not None else 0}f}", ""


def money(
    value: object,
    currency: str | None = None,
    *,
    context: Context = "table",
    decimals: int | None = None,
    sign: bool = False,
    sig: int | None = None,
) -> str:
    """EUR 1234567 -> '€1.2M'; USD 850000 -> '$850k'. ``sig`` asks for that many
    significant digits (1184000 with sig=3 -> '€1.18M'); ``sign`` adds '+' to gains."""
    v = finite(value)
    if v is None:
        return _BLANK[context]
    text, suffix = _compact(v, decimals, sig)
    return f"{_sign(v, text.strip('0.,') == '', sign, context)}{currency_symbol(currency)}{text}{suffix}"


def percent(value: object, *, context: Context = "table", decimals: int | None = None, sign: bool = False) -> str:
    """A fraction as a percentage: 0.853 -> '85%'. Without ``decimals``: none in a
    table, one (trailing zero dropped) under 10% in text (0.053 -> '5.3%')."""
    v = finite(value)
    if v is None:
        return _BLANK[context]
    if decimals is None and context == "text":
        text = _strip(f"{abs(v) * 100:.1f}") if abs(v) * 100 < 10 else f"{abs(v) * 100:.0f}"
    else:
        text = f"{abs(v) * 100:.{decimals or 0}f}"
    return f"{_sign(v, float(text) == 0, sign, context)}{text}%"


def points(value: object, *, context: Context = "table", decimals: int | None = None) -> str:
    """A change of a ratio in percentage points, always signed: 0.021 -> '+2 pts' in a
    table, '+2.1 pts' in text (one decimal, trailing zero dropped)."""
    v = finite(value)
    if v is None:
        return _BLANK[context]
    if decimals is None and context == "text":
        text = _strip(f"{abs(v) * 100:.1f}")
    else:
        text = f"{abs(v) * 100:.{decimals or 0}f}"
    return f"{_sign(v, float(text) == 0, True, context, unchanged='±')}{text} pts"


def number(value: object, *, context: Context = "table", decimals: int | None = None, sign: bool = False) -> str:
    """A count: '1,200'; compact from 10,000 in a table ('12.5k'), whole with thousands
    separators in text."""
    v = finite(value)
    if v is None:
        return _BLANK[context]
    if context == "table" and abs(v) >= 10_000:
        text, suffix = _compact(v, decimals)
        return f"{_sign(v, False, sign, context)}{text}{suffix}"
    if decimals is None:
        decimals = 0 if context == "text" or abs(v) >= 100 or v.is_integer() else 1
    text = f"{abs(v):,.{decimals}f}"
    return f"{_sign(v, float(text.replace(',', '')) == 0, sign, context)}{text}"


def multiple(value: object, *, context: Context = "table", decimals: int | None = None) -> str:
    """1.63 -> '1.6x' (one decimal unless ``decimals`` says otherwise)."""
    v = finite(value)
    if v is None:
        return _BLANK[context]
    return f"{_MINUS[context] if v < 0 else ''}{abs(v):.{1 if decimals is None else decimals}f}x"


def months(value: object, *, context: Context = "table", decimals: int | None = None) -> str:
    """14.25 -> '14 mo' in a table (one decimal under 10), '14.2 months' in text;
    ``decimals`` fixes the decimals (an axis's ticks)."""
    v = finite(value)
    if v is None:
        return _BLANK[context]
    if context == "text":
        return f"{v:.{1 if decimals is None else decimals}f} months"
    if decimals is None:
        decimals = 1 if abs(v) < 10 else 0
    return f"{v:.{decimals}f} mo"


def days(value: object, *, context: Context = "table", decimals: int | None = None) -> str:
    """30.4 -> '30 d' in a table, '30 days' in text (no decimal unless ``decimals`` says)."""
    v = finite(value)
    if v is None:
        return _BLANK[context]
    return f"{v:.{decimals or 0}f} {'days' if context == 'text' else 'd'}"


def value(
    value: object,
    unit: object = None,
    currency: str | None = None,
    *,
    context: Context = "table",
    decimals: int | None = None,
) -> str:
    """A KPI value formatted for its ``unit`` (kpis.csv's unit column); ratios get a
    decimal under 10% ('4.2%'), scores none ('NPS 29'). ``decimals`` fixes the decimals
    (an axis's ticks, :func:`tick_decimals`; money's of its k / M unit)."""
    kind = unit_kind(unit)
    if kind == "money":
        return money(value, currency, context=context, decimals=decimals)
    if kind == "pct":
        v = finite(value)
        if decimals is not None:
            return percent(v, context=context, decimals=decimals)
        if context == "text":
            return percent(v, context=context)
        return percent(v, decimals=1 if v is not None and abs(v) < 0.1 else 0)
    if kind in _ABSOLUTE:
        return _ABSOLUTE[kind](value, context=context, decimals=decimals)
    if decimals is None and kind == "score":
        decimals = 0
    return number(value, context=context, decimals=decimals)


def tick_decimals(values: Sequence[float], unit: object = None, most: int = 3) -> int:
    """The fewest decimals (up to ``most``) that print every one of ``values`` exactly in
    ``unit`` (percent points for ratios): ticks at 72.5% and 77.5% need one, never '73%'."""
    scale = 100.0 if unit_kind(unit) == "pct" else 1.0
    shown = [float(v) * scale for v in values if finite(v) is not None]
    for decimals in range(most + 1):
        step = 10.0**decimals
        if all(abs(v * step - round(v * step)) <= 1e-6 * max(1.0, abs(v * step)) for v in shown):
            return decimals
    return most


def change(delta: object, unit: object = None, currency: str | None = None, *, context: Context = "table") -> str:
    """kpis.csv's ``change`` for a unit: a relative change for money and counts ('+12%'),
    points for ratios ('+3 pts'), an absolute difference in the unit otherwise ('−0.3x')."""
    v = finite(delta)
    if v is None:
        return _BLANK[context]
    if _changes_by_difference(unit):
        return difference(v, unit, currency, context=context)
    return percent(v, context=context, decimals=0 if context == "table" else None, sign=True)


def _changes_by_difference(unit: object) -> bool:
    """Whether kpis.csv's ``change`` of a KPI in ``unit`` is a difference in the unit
    (ratios, multiples, months, days, scores) rather than relative (money, counts)."""
    kind = unit_kind(unit)
    return kind == "pct" or kind in _ABSOLUTE or kind == "score"


def difference(
    delta: object,
    unit: object = None,
    currency: str | None = None,
    *,
    context: Context = "table",
    decimals: int | None = None,
) -> str:
    """A signed difference in ``unit`` ('+€5k', '−1.4 mo'); points for ratios ('+3 pts').
    ``decimals`` fixes the decimals (of the points for ratios)."""
    v = finite(delta)
    if v is None:
        return _BLANK[context]
    if unit_kind(unit) == "pct":
        return points(v, context=context, decimals=decimals)
    text = value(abs(v), unit, currency, context=context, decimals=decimals)
    rounds_to_zero = not any(c in "123456789" for c in text)
    return ("±" if rounds_to_zero else "+" if v > 0 else _MINUS[context]) + text


#: Decimals a table shows of a value of each kind whose change is a difference (ratios in
#: percent: one under 10%, as :func:`value` does; months one under 10).
_TABLE_DECIMALS = {
    "pct": lambda x: 1 if abs(x) < 10 else 0,
    "multiple": lambda x: 1,
    "months": lambda x: 1 if abs(x) < 10 else 0,
    "days": lambda x: 0,
    "score": lambda x: 0,
}
#: At most this many decimals are added to make a shown change agree with the true one
#: (more would read as false precision: '5.868x'); the change shown is the shown values'
#: difference whatever the decimals.
_EXTRA_DECIMALS = 1


def footed(
    value_now: object, prior: object, delta: object, unit: object = None, currency: str | None = None
) -> tuple[str, str, str]:
    """A KPI's value, prior value and change as one table row shows them.

    A reader subtracts the shown prior from the shown value and expects the shown change,
    so for a change that is a difference (ratios in points, multiples, months, days,
    scores) the change shown IS the difference of the values as shown, and both values get
    a decimal more when at the table's usual decimals that difference would not be the true
    change rounded: 76.4% and 75.6% read '76.4%', '75.6%', '+0.8 pts', never
    '76%', '76%', '+1 pts'. A relative change (money, counts: '+12%') is not a difference
    of the values and is shown as :func:`change` writes it.

    >>> footed(0.764, 0.756, 0.008, "ratio")
    ('76.4%', '75.6%', '+0.8 pts')
    >>> footed(0.762, 0.761, 0.001, "ratio")
    ('76%', '76%', '±0 pts')
    """
    kind = unit_kind(unit)
    v, p, d = finite(value_now), finite(prior), finite(delta)
    if kind not in _TABLE_DECIMALS or v is None or p is None or d is None:
        return value(value_now, unit, currency), value(prior, unit, currency), change(delta, unit, currency)
    scale = 100.0 if kind == "pct" else 1.0
    first = max(_TABLE_DECIMALS[kind](v * scale), _TABLE_DECIMALS[kind](p * scale))
    for decimals in range(first, first + _EXTRA_DECIMALS + 1):
        shown = _rounded(v * scale, decimals) - _rounded(p * scale, decimals)
        if _rounded(shown, decimals) == _rounded(d * scale, decimals):
            break
    return (
        value(v, unit, currency, decimals=decimals),
        value(p, unit, currency, decimals=decimals),
        difference(shown / scale, unit, currency, decimals=decimals),
    )


def _rounded(x: float, decimals: int) -> float:
    """``x`` as a formatter prints it with ``decimals`` (the same rounding as the text)."""
    return float(f"{x:.{decimals}f}")


_ABSOLUTE = {"multiple": multiple, "months": months, "days": days}


# --- Excel number formats: the workbook's cells keep the CSV's numbers, the format shows them
#: A value of each kind as the deck shows it (money is built from the currency).
_EXCEL_FORMATS = {
    "pct": "0.0%",
    "multiple": '0.0"x"',
    "months": '0.0" mo"',
    "days": '0" d"',
    "score": "0",
    "number": "#,##0",
}
#: A ratio's difference is in percentage points; Excel scales by 100 only with its "%" sign,
#: so the points read "+1.2% pts" and the cell keeps the CSV's fraction (0.012).
_EXCEL_POINTS = '0.0%" pts"'


def excel_format(unit: object, currency: str | None = None) -> str:
    """The Excel number format of a value in ``unit`` (cells hold kpis.csv's numbers).

    Money in whole units, as the deck shows it, with the currency's code (``#,##0 "EUR"``:
    a model pasted into holds several currencies, and "$" is not one), ratios stored as
    shares ``0.0%``, multiples ``0.0"x"``, months ``0.0" mo"``, days ``0" d"``, scores
    ``0``, counts ``#,##0``.

    >>> excel_format("currency", "EUR"), excel_format("ratio")
    ('#,##0 "EUR"', '0.0%')
    """
    kind = unit_kind(unit)
    if kind == "money":
        return f'#,##0 "{str(currency).upper()}"' if currency else "#,##0"
    return _EXCEL_FORMATS[kind]


def excel_difference_format(unit: object, currency: str | None = None) -> str:
    """The Excel format of a signed difference in ``unit``, as :func:`difference` writes it:
    '+' on gains, ratios in points (``+0.0%" pts"``: 0.012 reads "+1.2% pts").

    >>> excel_difference_format("multiple")
    '+0.0"x";-0.0"x";0.0"x"'
    """
    code = _EXCEL_POINTS if unit_kind(unit) == "pct" else excel_format(unit, currency)
    return _signed(code)


def excel_change_format(unit: object, currency: str | None = None) -> str:
    """The Excel format of kpis.csv's ``change`` of a KPI in ``unit``, as :func:`change`
    writes it: a relative change for money and counts (``+0.0%``), else a difference in
    the unit (:func:`excel_difference_format`; ratios in points)."""
    if _changes_by_difference(unit):
        return excel_difference_format(unit, currency)
    return _signed("0.0%")


def _signed(code: str) -> str:
    """An Excel format with '+' on positive values (sections: positive; negative; zero)."""
    return f"+{code};-{code};{code}"
