"""Read a company's ``company.toml`` into typed settings.

Every mistake is collected (not just the first) and raised together as one
:class:`~reportlib.exceptions.ConfigError` whose problems each say which key is wrong and
what would be right, with a "did you mean" suggestion for misspelled keys.
"""

from __future__ import annotations

import calendar
import codecs
import difflib
import re
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any

from reportlib import registry
from reportlib.exceptions import ConfigError, ParameterError, Problem
from reportlib.inputs._schemas import SCHEMAS, VALUE_SORTS
from reportlib.inputs.fund import FundConfig, find_fund
from reportlib.params import named_period, parse_compare, parse_segment

CONFIG_FILE = "company.toml"

INPUT_NAMES = (
    "mrr",
    "contracts",
    "transactions",
    "financials",
    "leads",
    "traffic",
    "opportunities",
    "targets",
    "usage",
    "nps",
    "reported",
)
REVENUE_INPUTS = ("mrr", "contracts", "transactions")
# Money is never dropped quietly; CRM and analytics rows may be left out with a warning.
_ERROR_BY_DEFAULT = {"mrr", "contracts", "transactions", "financials"}

STAGES = ("early", "growth", "scale")
GTMS = ("sales-led", "product-led", "hybrid")
DEFAULT_NORTH_STAR = registry.DEFAULT_NORTH_STAR

#: The keys of company.toml by table ("" is the top level); with ``_INPUT_KEYS``, ``_JOIN_KEYS``
#: and the fields of :class:`Policies`, every key the validator accepts (docs/inputs.md shows
#: exactly these: tests/test_docs.py).
_SECTION_KEYS = {
    "": ("company", "policies", "kpis", "report", "inputs", "fx", "overrides"),
    "company": ("name", "currency", "stage", "gtm"),
    "kpis": ("north_star",),
    "report": ("segments", "compare"),
    "fx": ("path",),
    "overrides": ("kpi", "period", "value", "reason"),
}
_INPUT_KEYS = (
    "path",
    "sheet",
    "layout",
    "columns",
    "dimensions",
    "defaults",
    "values",
    "date_format",
    "dayfirst",
    "join",
    "on_bad_rows",
    "delimiter",
    "encoding",
    "decimal",
    "thousands",
    "end_date_exclusive",
    "month_format",
    # reading report layouts and archives
    "header_row",
    "comment",
    "footer",
    "member",
    "min_rows_kept",
    # the transform layer (DuckDB)
    "source",
    "where",
    "compute",
    "amount_unit",
    "sql",
    "accounts",
)
_JOIN_KEYS = ("path", "sheet", "on", "left_on", "right_on", "columns", "how", "aggregate")
#: ``amount_unit`` -> (times, divided by) that turn an amount into currency units: "cents" for
#: minor units, "thousands" for a report exported divided by 1,000 (QuickBooks' "Divide by
#: 1000", a P&L "in $000s"), "units" to say the amounts are what they look like. Integers, so
#: that cents are divided by 100 exactly (x 0.01 would not give 49.0 for 4900).
AMOUNT_UNITS = {"units": (1, 1), "cents": (1, 100), "thousands": (1000, 1)}
#: The only unit a known source takes on top: its tool's own unit is the source's business,
#: but dividing a report by 1,000 is a display choice made when it was exported.
SOURCE_AMOUNT_UNITS = ("thousands",)
# Date formats that are not strftime patterns: seconds or milliseconds since 1970.
EPOCH_FORMATS = {"epoch": "s", "%s": "s", "epoch_ms": "ms"}


@dataclass(frozen=True)
class Policies:
    """The contested metric definitions a company chose (METRICS.md); defaults as documented."""

    reactivation_window_months: int | None = None
    cac_lag_months: int = 0
    ltv_max_lifetime_years: float | None = None
    ltv_churn_basis: str = "period"
    magic_number_basis: str = "net_new"
    mrr_includes_uncontracted: bool = False
    sm_allocation: str = "none"
    pacing_amber: float = 0.9
    alert_threshold: float = 0.10
    fiscal_year_start_month: int = 1

    def describe(self) -> list[tuple[str, str, str]]:
        """The policies in force as ``(name, value, meaning)`` rows for the definitions page.

        Returns
        -------
        list of tuple of str
            One row per policy, in declaration order.
        """
        return [(f.name, _show(getattr(self, f.name)), _MEANING[f.name](getattr(self, f.name))) for f in fields(self)]


def policy_meaning(name: str, text: str) -> str:
    """What one value of a policy means, from its printed form ("none", "3", "false",
    "new_arr"): the definitions page's wording for values not in force too."""
    if name not in _MEANING:
        return text
    value = policy_value(text)
    meaning = _MEANING[name](value)
    # a word-valued policy ("none" in sm_allocation) means its word, not Python's None
    return meaning if isinstance(meaning, str) else str(_MEANING[name](text))


def policy_value(text: str) -> Any:
    """A policy's value from its printed form: "none" -> None, "true" / "false" -> bool,
    "3" -> 3, "0.9" -> 0.9, any other word as it is ("new_arr")."""
    words = {"none": None, "true": True, "false": False}
    if text in words:
        return words[text]
    try:
        return int(text) if text.lstrip("-").isdigit() else float(text)
    except ValueError:
        return text


def _show(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


_MEANING = {
    "reactivation_window_months": lambda v: (
        "a customer who returns after any gap is a reactivation"
        if v is None
        else f"a customer who returns after a gap of more than {v} months counts as new"
    ),
    "cac_lag_months": lambda v: (
        "S&M spend of the same months as the new customers it buys"
        if not v
        else f"S&M spend is taken {v} month(s) before the new customers it buys"
    ),
    "ltv_max_lifetime_years": lambda v: (
        "customer lifetime is 1 / annual logo churn, uncapped"
        if v is None
        else f"customer lifetime is 1 / annual logo churn, capped at {v} years"
    ),
    "ltv_churn_basis": lambda v: {
        "period": "LTV divides by the annual logo churn point to point (active a year ago, gone now)",
        "monthly": "LTV divides by 12 x the mean monthly logo churn over the trailing 12 months",
    }.get(v, v),
    "magic_number_basis": lambda v: {
        "net_new": "magic number uses net new ARR",
        "new": "magic number uses new + reactivation ARR",
        "gross": "magic number uses new + reactivation + expansion ARR",
    }.get(v, v),
    "mrr_includes_uncontracted": lambda v: (
        "MRR from contracts includes uncontracted recurring lines and transactions"
        if v
        else "MRR from contracts counts contracted recurring lines only"
    ),
    "sm_allocation": lambda v: {
        "none": "S&M-based KPIs are left blank in segment packs",
        "new_customers": "S&M is allocated to segments pro rata to new customers",
        "new_arr": "S&M is allocated to segments pro rata to new ARR",
        "arr": "S&M is allocated to segments pro rata to ARR",
    }.get(v, v),
    "fiscal_year_start_month": lambda v: (
        "quarters and years are calendar quarters and years"
        if v == 1
        else f"the fiscal year starts in {calendar.month_name[v]}; quarter and year windows end on fiscal quarter "
        "and year ends, labelled like FY2027 Q1 (a fiscal year is named after the calendar year it ends in)"
    ),
    "pacing_amber": lambda v: f"pipeline pace of at least {v:.0%} of target is 'on track'",
    "alert_threshold": lambda v: (
        f"adjacent funnel stages moving in opposite directions by more than {v:.0%} raise an alert"
    ),
}

# (allowed type(s), check returning an error sentence or None)
_POLICY_RULES: dict[str, tuple[tuple[type, ...], Any]] = {
    "reactivation_window_months": (
        (int,),
        lambda v: None if v >= 1 else "must be a whole number of months, 1 or more.",
    ),
    "cac_lag_months": ((int,), lambda v: None if v >= 0 else "must be 0 or a positive whole number of months."),
    "ltv_max_lifetime_years": ((int, float), lambda v: None if v > 0 else "must be a positive number of years."),
    "ltv_churn_basis": ((str,), lambda v: _one_of(v, ("period", "monthly"))),
    "magic_number_basis": ((str,), lambda v: _one_of(v, ("net_new", "new", "gross"))),
    "mrr_includes_uncontracted": ((bool,), lambda v: None),
    "sm_allocation": ((str,), lambda v: _one_of(v, ("none", "new_customers", "new_arr", "arr"))),
    "fiscal_year_start_month": ((int,), lambda v: None if 1 <= v <= 12 else "must be a month number from 1 to 12."),
    "pacing_amber": ((int, float), lambda v: None if 0 < v <= 1 else "must be a fraction between 0 and 1, e.g. 0.9."),
    "alert_threshold": ((int, float), lambda v: None if 0 < v < 10 else "must be a positive fraction, e.g. 0.10."),
}


@dataclass(frozen=True)
class JoinSpec:
    """Another file joined onto an input on a key column (source names)."""

    path: str
    on: tuple[str, ...]
    columns: dict[str, str] = field(default_factory=dict)
    sheet: str | None = None
    how: str = "left"
    right_on: tuple[str, ...] = ()  # the joined file's key columns when named differently
    aggregate: str | None = None  # "sum": one-to-many side summed per key first

    @property
    def right_keys(self) -> tuple[str, ...]:
        return self.right_on or self.on

    @property
    def needs_transform(self) -> bool:
        return bool(self.right_on) or self.aggregate is not None


@dataclass(frozen=True)
class InputSpec:
    """How one canonical input is read from the company's own file(s)."""

    name: str
    path: str
    sheet: str | None = None
    layout: str = "long"
    columns: dict[str, str] = field(default_factory=dict)
    dimensions: tuple[str, ...] = ()
    defaults: dict[str, Any] = field(default_factory=dict)
    values: dict[str, dict[str, str]] = field(default_factory=dict)
    date_format: str | None = None
    dayfirst: bool = False
    join: tuple[JoinSpec, ...] = ()
    on_bad_rows: str = "error"
    delimiter: str | None = None
    encoding: str | None = None
    decimal: str = "."
    thousands: str | None = None
    end_date_exclusive: bool = False
    month_format: str | None = None
    paths: tuple[str, ...] = ()  # every path or glob given (``path`` is their display)
    header_row: int | str | None = None  # 1-based, or "auto"; None: row 1 unless a title is found
    comment: str | None = None
    footer: tuple[str, ...] = ()
    member: str | None = None
    min_rows_kept: float = 0.5
    source: str | None = None
    where: str | None = None
    compute: dict[str, str] = field(default_factory=dict)
    amount_unit: str | None = None
    sql: str | None = None
    accounts: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def needs_transform(self) -> bool:
        """Whether the input goes through DuckDB (a plain mapping does not)."""
        return bool(
            self.source
            or self.where
            or self.compute
            or self.sql
            or self.layout == "accounts"
            or any(j.needs_transform for j in self.join)
        )

    @property
    def patterns(self) -> tuple[str, ...]:
        return self.paths or (self.path,)


@dataclass(frozen=True)
class Override:
    """One ``[[overrides]]`` entry: the analyst's value of a KPI for the period ending ``month``."""

    kpi: str
    month: str  # YYYY-MM: the last month of the period given (2026Q3 -> 2026-09)
    value: float
    reason: str


@dataclass(frozen=True)
class CompanyConfig:
    """Everything company.toml says about one company."""

    name: str
    currency: str
    stage: str = "early"
    gtm: str = "hybrid"
    north_star: list[str] = field(default_factory=lambda: list(DEFAULT_NORTH_STAR))
    policies: Policies = field(default_factory=Policies)
    segments: list[tuple[str, str]] = field(default_factory=list)
    compare: tuple[str, tuple[str, str]] | None = None
    inputs: dict[str, InputSpec] = field(default_factory=dict)
    fx_path: str | None = None  # [fx] path: CSV of currency, month, rate (1 unit in company currency)
    fund: FundConfig | None = None  # fund.toml of the portfolio (or --fund); company.toml wins over it
    overrides: tuple[Override, ...] = ()


# --------------------------------------------------------------------------------------
# reading


def load_config(path: str | Path) -> CompanyConfig:
    """Read ``company.toml`` of a company folder (or the file itself).

    Parameters
    ----------
    path
        The company folder, or the path of its ``company.toml``.

    Returns
    -------
    CompanyConfig

    Raises
    ------
    ConfigError
        With every problem found: missing file, invalid TOML (line and column), unknown
        keys (with the closest valid key), wrong types or values.
    """
    path = Path(path)
    file = path if path.suffix == ".toml" else path / CONFIG_FILE
    if file.is_dir():
        raise ConfigError(
            [Problem(f"{file} is a folder, not a file: company.toml must be a text file.", file=CONFIG_FILE)]
        )
    if not file.is_file():
        raise ConfigError(
            [
                Problem(
                    f"There is no {CONFIG_FILE} in {file.parent}; every company "
                    "folder needs one naming the company, its currency and its input files.",
                    file=CONFIG_FILE,
                )
            ]
        )
    try:
        data = tomllib.loads(file.read_text(encoding="utf-8-sig"))
    except UnicodeDecodeError:
        raise ConfigError([Problem(f"{CONFIG_FILE} is not a UTF-8 text file.", file=CONFIG_FILE)]) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError([Problem(_toml_sentence(exc), file=CONFIG_FILE, row=_toml_line(exc))]) from None
    checker = _Checker(find_fund(file.parent))  # an invalid fund.toml raises its own ConfigError
    config = checker.company(data)
    if checker.problems:
        raise ConfigError(checker.problems)
    return config


def _period_month(text: str, fiscal_start: int = 1) -> str | None:
    """``2026-09``, a quarter (``2026Q3``) or a fiscal quarter (``FY2027Q2``, named as
    ``--as-of`` names it, with the fiscal year starting in month ``fiscal_start``) as the
    period's last month (``2026-09``); None otherwise."""
    if (m := re.fullmatch(r"(\d{4})-(\d{2})", text.strip())) and 1 <= int(m.group(2)) <= 12:
        return text.strip()
    named = named_period(text, fiscal_start)
    return str(named[0]) if named is not None and named[1] == 3 else None


def _toml_line(exc: tomllib.TOMLDecodeError) -> int | None:
    line = getattr(exc, "lineno", None)
    if line is None:
        m = re.search(r"line (\d+)", str(exc))
        line = int(m.group(1)) if m else None
    return line


def _toml_sentence(exc: tomllib.TOMLDecodeError) -> str:
    # tomllib says e.g. "Expected '=' after a key in a key/value pair (at line 3, column 7)".
    m = re.match(r"(.*?)\s*\(at line (\d+), column (\d+)\)", str(exc))
    if m:
        what, line, col = m.groups()
        return (
            f"{CONFIG_FILE} is not valid TOML: at line {line}, column {col}: "
            f"{what[0].lower() + what[1:]}. Check quotes, '=' signs and [section] headers there."
        )
    return f"{CONFIG_FILE} is not valid TOML: {exc}."


def closest(word: str, options: Any) -> str | None:
    """The option closest to ``word`` (difflib), or None when nothing is close."""
    options = [str(o) for o in options]
    hits = difflib.get_close_matches(str(word), options, n=1, cutoff=0.6)
    if not hits:
        lower = {o.lower(): o for o in options}
        hits = [lower[h] for h in difflib.get_close_matches(str(word).lower(), list(lower), n=1, cutoff=0.6)]
    return hits[0] if hits else None


def did_you_mean(word: str, options: Any) -> str:
    """`` Did you mean 'x'?`` or an empty string."""
    hit = closest(word, options)
    return f" Did you mean '{hit}'?" if hit else ""


def _one_of(value: Any, allowed: tuple[str, ...]) -> str | None:
    if value in allowed:
        return None
    return (
        "must be one of "
        + ", ".join(f"'{a}'" for a in allowed)
        + ","
        + (f" not '{value}'." + did_you_mean(value, allowed)).rstrip()
    )


def _type_name(types: tuple[type, ...]) -> str:
    names = {
        bool: "true or false",
        int: "a whole number",
        float: "a number",
        str: "text in quotes",
        list: 'a list like ["a", "b"]',
        dict: 'a table like { a = "b" }',
    }
    return " or ".join(dict.fromkeys(names[t] for t in types))


def safe_relative_path(text: str) -> str | None:
    """Why ``text`` may not be used as a path inside the company folder, or None if it may.

    The check is lexical: absolute paths and ``..`` components are refused, so a
    company.toml can never point outside its own folder (symlinks inside it are allowed).
    """
    if not text.strip():
        return "is empty"
    if "\x00" in text:
        return "contains a NUL character"
    for flavour in (PurePosixPath(text), PureWindowsPath(text)):
        if flavour.is_absolute() or flavour.drive or flavour.root:
            return "is an absolute path; give a path relative to the company folder"
        if ".." in flavour.parts:
            return "goes up out of the company folder ('..'); input files must be inside it"
    return None


def safe_path(folder: Path, relative: str) -> tuple[Path, Problem | None]:
    """``folder / relative``, and the Problem when it is not a file of ``folder`` once every
    symbolic link on the way is followed (a link to ``/``, or a commentary.md linked from
    another company, stays outside however its name looks).

    Links that stay inside the folder are fine. ``relative`` is the path as written in
    company.toml (already checked by :func:`safe_relative_path`).
    """
    path = folder / relative
    try:
        root = folder.resolve(strict=True)
        real = path.resolve(strict=False)
    except (OSError, RuntimeError):  # a loop of links (RuntimeError before Python 3.13)
        return path, Problem(f"{relative} cannot be opened: its symbolic links go round in a loop.", file=relative)
    if real != root and root not in real.parents:
        return path, Problem(
            f"{relative} is a symbolic link to {real}, outside the company folder "
            f"{root}; copy the file into the folder instead.",
            file=relative,
        )
    return path, None


class _Checker:
    """Walks the parsed TOML, building the config and collecting every problem."""

    def __init__(self, fund: FundConfig | None = None) -> None:
        self.fund = fund
        self.problems: list[Problem] = []

    def fail(self, key: str, message: str) -> None:
        self.problems.append(Problem(f"{key} {message}", file=CONFIG_FILE, column=key))

    def translations_allowed(self, input_name: str, canon: str, mapping: dict[str, str], key: str) -> None:
        """Fail for a ``values`` translation into a value the canonical column does not allow
        (``"Renewed" = "closed won"`` for an outcome): the typo is in company.toml, not the file."""
        col = SCHEMAS.get(input_name, {}).get(canon)
        if col is None or col.kind != "category" or not col.allowed:
            return
        allowed = {*col.allowed, *([""] if col.nullable else [])}  # a blank is a nullable column's "unknown"
        wrong = {k: v for k, v in mapping.items() if v.strip().lower() not in allowed}
        if wrong:
            listed = ", ".join(f'"{k}" = "{v}"' for k, v in list(wrong.items())[:5])
            self.fail(
                key,
                f"translates into a value {canon} cannot take ({listed}): the right-hand side must be one of "
                f'{", ".join(col.allowed)} (the file\'s value on the left, e.g. "{next(iter(wrong))}" = '
                f'"{col.allowed[0]}").',
            )

    def unknown(self, table: dict, allowed: tuple[str, ...] | list[str], where: str) -> None:
        for key in table:
            if key not in allowed:
                prefix = f"{where}." if where else ""
                self.problems.append(
                    Problem(
                        f"Unknown key '{prefix}{key}' in {CONFIG_FILE}."
                        + did_you_mean(key, allowed)
                        + (" Valid keys here: " + ", ".join(allowed) + "." if not closest(key, allowed) else ""),
                        file=CONFIG_FILE,
                        column=f"{prefix}{key}",
                    )
                )

    def typed(self, table: dict, key: str, where: str, types: tuple[type, ...], default: Any = None) -> Any:
        if key not in table:
            return default
        value = table[key]
        # TOML booleans are Python ints; refuse them where a number is meant.
        ok = isinstance(value, types) and not (isinstance(value, bool) and bool not in types)
        if not ok:
            self.fail(f"{where}.{key}", f"must be {_type_name(types)}, not {value!r}.")
            return default
        return value

    def table(self, data: dict, key: str, where: str = "") -> dict:
        value = data.get(key, {})
        if not isinstance(value, dict):
            self.fail(f"{where}{key}", "must be a table ([section] or { key = value }).")
            return {}
        return value

    # ----------------------------------------------------------------------------------

    def company(self, data: dict) -> CompanyConfig:
        self.unknown(data, _SECTION_KEYS[""], "")
        comp = self.table(data, "company")
        self.unknown(comp, _SECTION_KEYS["company"], "company")
        name = self.typed(comp, "name", "company", (str,))
        currency = self.typed(comp, "currency", "company", (str,))
        if not name or not str(name).strip():
            self.fail("company.name", "is required: the company's name as the board pack shows it.")
        if not currency:
            self.fail("company.currency", 'is required: the reporting currency as an ISO code, e.g. "EUR".')
        elif not re.fullmatch(r"[A-Z]{3}", currency):
            self.fail("company.currency", f'must be a three-letter ISO code such as "EUR" or "USD", not {currency!r}.')
        stage = self.typed(comp, "stage", "company", (str,), "early")
        if msg := _one_of(stage, STAGES):
            self.fail("company.stage", msg)
        gtm = self.typed(comp, "gtm", "company", (str,), "hybrid")
        if msg := _one_of(gtm, GTMS):
            self.fail("company.gtm", msg)

        policies = self.policies(self.table(data, "policies"))
        kpis = self.table(data, "kpis")
        self.unknown(kpis, _SECTION_KEYS["kpis"], "kpis")
        north_star = self.north_star(kpis)
        report = self.table(data, "report")
        self.unknown(report, _SECTION_KEYS["report"], "report")
        segments = self.segments(report)
        compare = self.compare(report)
        inputs = self.inputs(self.table(data, "inputs"))
        fx_path = self.fx(self.table(data, "fx"))
        return CompanyConfig(
            name=str(name or ""),
            currency=str(currency or ""),
            stage=stage,
            gtm=gtm,
            north_star=north_star,
            policies=policies,
            segments=segments,
            compare=compare,
            inputs=inputs,
            fx_path=fx_path,
            fund=self.fund,
            overrides=self.overrides(data.get("overrides", []), policies.fiscal_year_start_month),
        )

    # --- [[overrides]]: the analyst's values, with a reason ---

    def overrides(self, entries: Any, fiscal_start: int = 1) -> tuple[Override, ...]:
        if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
            self.fail("overrides", "must be [[overrides]] tables with kpi, period, value and reason.")
            return ()
        found = []
        for n, entry in enumerate(entries, start=1):
            where = f"overrides[{n}]"
            self.unknown(entry, _SECTION_KEYS["overrides"], where)
            kpi, period = entry.get("kpi"), str(entry.get("period", ""))
            value, reason = entry.get("value"), entry.get("reason")
            month = _period_month(period, fiscal_start)
            if kpi not in registry.REGISTRY:
                self.fail(f"{where}.kpi", f"{kpi!r} is not a KPI id.{did_you_mean(str(kpi), registry.REGISTRY)}")
            if month is None:
                self.fail(
                    f"{where}.period",
                    f"must be a month (2026-09) or a quarter (2026Q3, FY2027Q1), not {period!r}.",
                )
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                self.fail(f"{where}.value", "must be a number (ratios as fractions: 0.95, not 95).")
            if not isinstance(reason, str) or not reason.strip():
                self.fail(f"{where}.reason", "is required: say why the computed value is not the one to report.")
            if kpi in registry.REGISTRY and month and isinstance(value, (int, float)) and isinstance(reason, str):
                found.append(Override(kpi, month, float(value), reason.strip()))
        return tuple(found)

    # --- [fx]: currency conversion ---

    def fx(self, table: dict) -> str | None:
        self.unknown(table, _SECTION_KEYS["fx"], "fx")
        return self.path(table, "fx") if table else None

    def policies(self, table: dict) -> Policies:
        allowed = tuple(f.name for f in fields(Policies))
        self.unknown(table, allowed, "policies")
        values = {}
        for key, (types, rule) in _POLICY_RULES.items():
            if key not in table:
                continue
            raw = table[key]
            if raw == "none" and Policies.__dataclass_fields__[key].default is None:
                continue  # TOML has no null: "none" spells the default
            value = self.typed(table, key, "policies", types)
            if value is None:
                continue
            if msg := rule(value):
                self.fail(f"policies.{key}", msg)
                continue
            values[key] = float(value) if float in types and not isinstance(value, bool) else value
        return Policies(**values)

    def north_star(self, table: dict) -> list[str]:
        default = (self.fund.north_star if self.fund else None) or DEFAULT_NORTH_STAR
        value = self.typed(table, "north_star", "kpis", (list,), list(default))
        if not all(isinstance(v, str) for v in value):
            self.fail("kpis.north_star", 'must be a list of KPI ids from METRICS.md, e.g. ["arr", "nrr"].')
            return list(DEFAULT_NORTH_STAR)
        unknown = [v for v in value if v not in registry.REGISTRY]
        for kpi in unknown:
            self.fail("kpis.north_star", f"{kpi!r} is not a KPI id.{did_you_mean(kpi, registry.REGISTRY)}")
        if unknown:
            return list(DEFAULT_NORTH_STAR)
        if not 3 <= len(value) <= 5:
            self.fail("kpis.north_star", f"must name 3 to 5 KPIs, not {len(value)}.")
        return list(value)

    def segments(self, table: dict) -> list[tuple[str, str]]:
        out = []
        for item in self.typed(table, "segments", "report", (list,), []):
            try:
                seg = parse_segment(item) if isinstance(item, str) else None
            except ParameterError:
                seg = None
            if seg is None:
                self.fail("report.segments", f'entries must look like "segment=Enterprise", not {item!r}.')
                continue
            out.append(seg)
        return out

    def compare(self, table: dict) -> tuple[str, tuple[str, str]] | None:
        text = self.typed(table, "compare", "report", (str,))
        try:
            return parse_compare(text)
        except ParameterError:
            self.fail("report.compare", f'must look like "segment=SMB,Enterprise" (one key, two values), not {text!r}.')
            return None

    def inputs(self, table: dict) -> dict[str, InputSpec]:
        self.unknown(table, INPUT_NAMES, "inputs")
        specs = {}
        for name in INPUT_NAMES:
            if name in table:
                spec = self.input(name, table[name])
                if spec is not None:
                    specs[name] = spec
        if not table:
            self.problems.append(
                Problem(
                    f"{CONFIG_FILE} names no input files: add at least an [inputs.mrr], [inputs.contracts] "
                    "or [inputs.transactions] section.",
                    file=CONFIG_FILE,
                    column="inputs",
                )
            )
        return specs

    def input(self, name: str, table: Any) -> InputSpec | None:
        where = f"inputs.{name}"
        if not isinstance(table, dict):
            self.fail(where, f"must be a table ([inputs.{name}] with path and columns).")
            return None
        self.unknown(table, _INPUT_KEYS, where)
        n_before = len(self.problems)
        paths = self.paths(table, where)
        path = ", ".join(paths)
        kw: dict[str, Any] = {"paths": tuple(paths)}
        kw.update(self.transform_keys(name, table, where))
        for key in (
            "sheet",
            "date_format",
            "delimiter",
            "encoding",
            "decimal",
            "thousands",
            "month_format",
            "comment",
            "member",
        ):
            value = self.typed(table, key, where, (str,))
            if value is not None:
                kw[key] = value
        for key in ("dayfirst", "end_date_exclusive"):
            kw[key] = self.typed(table, key, where, (bool,), False)
        if kw["end_date_exclusive"] and name != "contracts":
            self.fail(f"{where}.end_date_exclusive", "only applies to [inputs.contracts].")
        layout = self.typed(table, "layout", where, (str,), "long")
        if msg := _one_of(layout, ("long", "wide", "accounts")):
            self.fail(f"{where}.layout", msg)
        elif layout == "wide" and name != "mrr":
            self.fail(f"{where}.layout", '"wide" (months as columns) is only supported for [inputs.mrr].')
        elif layout == "accounts" and name != "financials":
            self.fail(
                f"{where}.layout", '"accounts" (a P&L with accounts as rows) is only supported for [inputs.financials].'
            )
        bad_default = "error" if name in _ERROR_BY_DEFAULT else "warn"
        on_bad = self.typed(table, "on_bad_rows", where, (str,), bad_default)
        if msg := _one_of(on_bad, ("error", "warn")):
            self.fail(f"{where}.on_bad_rows", msg)
        for key in ("delimiter", "decimal", "thousands"):
            if key in kw and len(kw[key]) != 1:
                self.fail(f"{where}.{key}", f"must be a single character, not {kw[key]!r}.")
        if kw.get("decimal") and kw.get("decimal") == kw.get("thousands"):
            self.fail(f"{where}.thousands", "must differ from the decimal separator.")
        if "encoding" in kw:
            try:
                codecs.lookup(kw["encoding"])
            except LookupError:
                self.fail(
                    f"{where}.encoding",
                    f'{kw["encoding"]!r} is not a known text encoding (try "utf-8", "latin-1" or "cp1252").',
                )
        columns = self.str_map(table, "columns", where)
        self.one_sort_per_column(name, columns, f"{where}.columns")
        dimensions = self.typed(table, "dimensions", where, (list,), [])
        if not all(isinstance(d, str) for d in dimensions):
            self.fail(f"{where}.dimensions", "must be a list of column names in quotes.")
            dimensions = []
        defaults = self.typed(table, "defaults", where, (dict,), {})
        for key, value in defaults.items():
            if not isinstance(value, (str, int, float, bool)):
                self.fail(f"{where}.defaults.{key}", "must be a single value (text or number).")
        values = self.typed(table, "values", where, (dict,), {})
        translated = {}
        for canon, mapping in values.items():
            if not isinstance(mapping, dict):
                self.fail(f"{where}.values.{canon}", "must be a table of source value = canonical value.")
                continue
            translated[canon] = {str(k): str(v) for k, v in mapping.items()}
            self.translations_allowed(name, canon, translated[canon], f"{where}.values.{canon}")
        joins = self.joins(table, where, keyed="source" not in table)
        if "source" in table and table.get("amount_unit", "thousands") not in SOURCE_AMOUNT_UNITS:
            self.fail(
                f"{where}.amount_unit",
                f"cannot be {table['amount_unit']!r} with source: source = {table['source']!r} "
                "knows the unit its tool writes amounts in and converts them itself (only "
                '"thousands", for a report exported divided by 1,000, can be added).',
            )
        if len(self.problems) > n_before:
            return None
        return InputSpec(
            name=name,
            path=path,
            layout=layout,
            columns=columns,
            dimensions=tuple(dimensions),
            defaults=dict(defaults),
            values=translated,
            join=joins,
            on_bad_rows=on_bad,
            **kw,
        )

    def paths(self, table: dict, where: str) -> list[str]:
        """``path`` as a list: one file, a glob, or a list of either (stacked)."""
        value = table.get("path")
        if isinstance(value, list):
            if not value or not all(isinstance(v, str) for v in value):
                self.fail(
                    f"{where}.path", 'must be a file name, a glob such as "exports/*.csv", or a non-empty list of them.'
                )
                return [""]
            for v in value:
                if why := safe_relative_path(v):
                    self.fail(f"{where}.path", f"{v!r} {why}.")
            return list(value)
        return [self.path(table, where)]

    def transform_keys(self, name: str, table: dict, where: str) -> dict[str, Any]:
        """The reading and transform keys: header_row, footer, min_rows_kept, source, where,
        compute, amount_unit, sql, accounts (their SQL is checked when the files are loaded)."""
        kw: dict[str, Any] = {}
        header = self.typed(table, "header_row", where, (int, str))
        if isinstance(header, str) and header != "auto" or isinstance(header, int) and header < 1:
            self.fail(
                f"{where}.header_row",
                f'must be the header\'s row number as the spreadsheet shows it (1 or more) or "auto", not {header!r}.',
            )
        elif header is not None:
            kw["header_row"] = header
        footer = self.typed(table, "footer", where, (list, str), [])
        footer = [footer] if isinstance(footer, str) else footer
        if not all(isinstance(f, str) for f in footer):
            self.fail(f"{where}.footer", 'must be a list of patterns such as ["Total*", "Copyright*"].')
        else:
            kw["footer"] = tuple(footer)
        share = self.typed(table, "min_rows_kept", where, (int, float), 0.5)
        if not 0 <= share <= 1:
            self.fail(f"{where}.min_rows_kept", f"must be a share between 0 and 1 (e.g. 0.5), not {share!r}.")
        kw["min_rows_kept"] = float(share)
        for key in ("source", "where", "sql"):
            value = self.typed(table, key, where, (str,))
            if value is not None and not value.strip():
                self.fail(f"{where}.{key}", "is empty.")
            elif value is not None:
                kw[key] = value
        if "sql" in kw and "source" in kw:
            self.fail(f"{where}.sql", "cannot be used with source: a source is a query already.")
        kw["compute"] = self.str_map(table, "compute", where)
        unit = self.typed(table, "amount_unit", where, (str,))
        if unit is not None:
            if msg := _one_of(unit, tuple(AMOUNT_UNITS)):
                self.fail(f"{where}.amount_unit", msg)
            kw["amount_unit"] = unit
        kw["accounts"] = self.accounts(name, table, where)
        return kw

    def accounts(self, name: str, table: dict, where: str) -> dict[str, tuple[str, ...]]:
        raw = self.typed(table, "accounts", where, (dict,), {})
        if raw and name != "financials":
            self.fail(f"{where}.accounts", "only applies to [inputs.financials] (a P&L with accounts as rows).")
        out = {}
        for canon, names in raw.items():
            names = [names] if isinstance(names, str) else names
            if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
                self.fail(
                    f"{where}.accounts.{canon}",
                    'must be a list of account names or patterns such as ["6000*", "Sales Salaries"].',
                )
                continue
            out[canon] = tuple(names)
        return out

    def path(self, table: dict, where: str) -> str:
        value = self.typed(table, "path", where, (str,))
        if value is None:
            if "path" not in table:
                self.fail(f"{where}.path", "is required: the file name of this input inside the company folder.")
            return ""
        if why := safe_relative_path(value):
            self.fail(f"{where}.path", f"{value!r} {why}.")
        return value

    def one_sort_per_column(self, input_name: str, columns: dict[str, str], key: str) -> None:
        """Fail for a file column mapped to canonical columns holding different sorts of value
        (``month`` and ``channel`` both = "Month"): one of them would be read from the wrong
        column without a word, and its figures be wrong."""
        schema = SCHEMAS.get(input_name, {})
        by_column: dict[str, list[str]] = {}
        for canon, column in columns.items():
            if canon in schema:
                by_column.setdefault(column.strip(), []).append(canon)
        for column, canons in by_column.items():
            sorts = {VALUE_SORTS[schema[c].kind] for c in canons}
            if len(sorts) > 1:
                said = " and ".join(f"{c} ({VALUE_SORTS[schema[c].kind]})" for c in canons)
                self.fail(
                    key,
                    f"maps {said} to the same file column {column!r}: one of them is not in that column. "
                    "Map each to the column that holds it.",
                )

    def str_map(self, table: dict, key: str, where: str) -> dict[str, str]:
        value = self.typed(table, key, where, (dict,), {})
        bad = [k for k, v in value.items() if not isinstance(v, str)]
        for k in bad:
            self.fail(f"{where}.{key}.{k}", f"must be a column name in quotes, not {value[k]!r}.")
        return {k: v for k, v in value.items() if isinstance(v, str)}

    def joins(self, table: dict, where: str, keyed: bool = True) -> tuple[JoinSpec, ...]:
        """The ``[[join]]`` tables; ``keyed`` False under a ``source``, whose query joins its
        side tables itself (``on`` is then optional)."""
        raw = table.get("join", [])
        if isinstance(raw, dict):
            raw = [raw]
        if not isinstance(raw, list) or not all(isinstance(j, dict) for j in raw):
            self.fail(f"{where}.join", f"must be one or more [[{where}.join]] tables with path, on and columns.")
            return ()
        out = []
        for i, j in enumerate(raw, start=1):
            jw = f"{where}.join[{i}]"
            self.unknown(j, _JOIN_KEYS, jw)
            path = self.path(j, jw)
            on = self.typed(j, "on", jw, (str, list)) or self.typed(j, "left_on", jw, (str, list))
            right_on = self.typed(j, "right_on", jw, (str, list))
            if on is None and keyed:
                self.fail(
                    f"{jw}.on",
                    "is required: the key column present in both files "
                    "(or left_on and right_on when they are named differently).",
                )
            on = on or []
            on = (on,) if isinstance(on, str) else tuple(str(o) for o in on)
            right_on = (right_on,) if isinstance(right_on, str) else tuple(str(o) for o in right_on or ())
            if right_on and len(right_on) != len(on):
                self.fail(f"{jw}.right_on", f"names {len(right_on)} key column(s) but left_on names {len(on)}.")
            aggregate = self.typed(j, "aggregate", jw, (str,))
            if aggregate is not None and (msg := _one_of(aggregate, ("sum",))):
                self.fail(f"{jw}.aggregate", msg)
            how = self.typed(j, "how", jw, (str,), "left")
            if msg := _one_of(how, ("left", "inner")):
                self.fail(f"{jw}.how", msg)
            out.append(
                JoinSpec(
                    path=path,
                    on=on,
                    columns=self.str_map(j, "columns", jw),
                    sheet=self.typed(j, "sheet", jw, (str,)),
                    how=how,
                    right_on=right_on,
                    aggregate=aggregate,
                )
            )
        return tuple(out)
