"""Load a company folder into validated, canonical DataFrames.

>>> company = load_company("data/meridian")            # doctest: +SKIP
>>> company.frames["mrr"].dtypes                      # doctest: +SKIP
>>> print(validate_company("data/meridian").render())  # doctest: +SKIP

:func:`load_company` raises :class:`~reportlib.exceptions.InputError` holding every
problem at once; :func:`validate_company` returns them as a :class:`ValidationReport`
instead. Neither ever shows a traceback for a mistake in the inputs.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import pandas as pd

from reportlib._store import Mode, Store
from reportlib.exceptions import ConfigError, InputError, ParameterError, Problem
from reportlib.inputs._cache import company_key
from reportlib.inputs._fx import read_fx
from reportlib.inputs._keys import one_month_customers
from reportlib.inputs._mapping import MAX_ROWS, load_input
from reportlib.inputs._schemas import GIVES
from reportlib.inputs.commentary import COMMENTARY_FILE
from reportlib.inputs.config import (
    CONFIG_FILE,
    INPUT_NAMES,
    REVENUE_INPUTS,
    CompanyConfig,
    did_you_mean,
    load_config,
    safe_path,
)
from reportlib.params import as_of_month

__all__ = [
    "Company",
    "UncheckedCompany",
    "ValidationReport",
    "company_slug",
    "data_last_month",
    "load_company",
    "open_company",
    "resolve_as_of",
    "validate_company",
]


@dataclass(frozen=True)
class Company:
    """One company's validated inputs: canonical frames, settings and warnings.

    ``segment_filter`` is the ``(key, value)`` this company was restricted to (None for
    the whole company) and ``unfiltered_inputs`` the inputs that do not carry that key
    and so stay company-wide (e.g. financials in a segment pack). ``digest`` is the store
    key of the inputs it was loaded from (:mod:`reportlib.inputs._cache`; "" when it was
    loaded without the store): the KPI cache builds on it, so only :meth:`segment` (whose
    filter is part of the KPI key) may derive a company with other frames from it.
    """

    path: Path
    slug: str
    config: CompanyConfig
    frames: dict[str, pd.DataFrame]
    warnings: list[Problem] = field(default_factory=list)
    sources: dict[str, list[Path]] = field(default_factory=dict)
    segment_filter: tuple[str, str] | None = None
    unfiltered_inputs: list[str] = field(default_factory=list)
    digest: str = field(default="", compare=False, repr=False)

    def has(self, name: str) -> bool:
        """Whether input ``name`` was given (and has at least the frame, maybe empty)."""
        return name in self.frames

    def revenue_source(self) -> str | None:
        """The input MRR comes from: ``"mrr"``, else ``"contracts"``, else ``"transactions"``.

        None for a company without revenue input (a CRM-only folder).
        """
        return next((n for n in REVENUE_INPUTS if n in self.frames), None)

    def missing_note(self, name: str) -> str:
        """One line saying which input would enable the sections ``name`` feeds."""
        return f"No {name} input: add [inputs.{name}] to {CONFIG_FILE} for {GIVES[name]}."

    def segment(self, key: str, value: str) -> Company:
        """This company restricted to one value of a dimension.

        Every frame with a column ``key`` keeps only the rows where it equals ``value``;
        the others are left whole and listed in ``unfiltered_inputs``.

        Raises
        ------
        ParameterError
            When no input carries ``key``, or no row has ``value`` (with the closest
            existing dimension or value).
        """
        carrying = {n: f for n, f in self.frames.items() if key in f.columns}
        if not carrying:
            dims = sorted(
                {c for f in self.frames.values() for c in f.columns if isinstance(f[c].dtype, pd.StringDtype)}
            )
            raise ParameterError(
                f"No input of {self.config.name} has a column '{key}' to segment by."
                + did_you_mean(key, dims)
                + (f" Columns that could be used: {', '.join(dims)}." if dims else "")
            )
        values = sorted({str(v) for f in carrying.values() for v in f[key].dropna().unique()})
        if str(value) not in values:
            raise ParameterError(
                f"No row of {self.config.name} has {key} = '{value}'."
                + did_you_mean(value, values)
                + f" Values of {key}: {', '.join(values[:30])}"
                + (" ..." if len(values) > 30 else "")
                + "."
            )
        frames = {
            n: (f.loc[f[key].eq(value).fillna(False)].reset_index(drop=True) if n in carrying else f)
            for n, f in self.frames.items()
        }
        return replace(
            self,
            frames=frames,
            segment_filter=(key, str(value)),
            unfiltered_inputs=[n for n in self.frames if n not in carrying],
        )


@dataclass
class ValidationReport:
    """Every problem and warning found in a company folder."""

    path: Path
    errors: list[Problem]
    warnings: list[Problem]
    company: Company | None = None

    @property
    def ok(self) -> bool:
        return not self.errors

    def render(self) -> str:
        """Plain text for an analyst: problems grouped by file, then a one-line summary."""
        name = self.company.config.name if self.company else self.path.name
        lines = [f"Checked {name} ({self.path})", ""]
        groups: dict[str, list[Problem]] = {}
        for p in self.errors + self.warnings:
            groups.setdefault(p.file or "(general)", []).append(p)
        for file, problems in groups.items():
            lines.append(file)
            for p in problems:
                where = ", ".join(
                    w
                    for w in (f"row {p.row}" if p.row is not None else "", f"column '{p.column}'" if p.column else "")
                    if w
                )
                label = "error  " if p.severity == "error" else "warning"
                lines.append(f"  {label} {where + ': ' if where else ''}{p.message}")
            lines.append("")
        lines.append(self.summary())
        return "\n".join(lines)

    def summary(self) -> str:
        e, w = len(self.errors), len(self.warnings)
        counts = f"{e} error{'s' * (e != 1)}, {w} warning{'s' * (w != 1)}"
        if e:
            return f"{counts}: fix the errors above; nothing can be reported until then."
        loaded = ", ".join(f"{n} ({len(f):,} rows)" for n, f in self.company.frames.items()) if self.company else ""
        return f"{counts}: inputs are usable" + (f": {loaded}." if loaded else ".")


# ======================================================================================

#: The store's folder of validated companies, by the key of their inputs.
STORE_KIND = "inputs"


def company_slug(folder: str | Path) -> str:
    """A folder-name slug safe for output paths: lower-case letters, digits, ``-``, ``_``, ``.``."""
    slug = re.sub(r"[^a-z0-9._-]+", "-", Path(folder).name.lower()).strip(".-_")
    return slug or "company"


#: Checks left for later: (the index in the problem list where their problems belong, the checks)
_Later = list[tuple[int, Callable[[], list[Problem]]]]


def _collect(path: str | Path, cache: Mode = Mode.OFF) -> tuple[Path, Company | None, list[Problem]]:
    """The folder, its company (None with errors) and every problem; with ``cache`` the
    company is read from / written to the store (:mod:`reportlib.inputs._cache`), warnings
    included. company.toml and the links are checked on every call, hit or miss."""
    folder, company, problems, _, key = _gather(path, cache)
    if company is not None and key:
        Store(STORE_KIND).put(key, company)
    return folder, company, problems


def _gather(
    path: str | Path, cache: Mode = Mode.OFF, defer_checks: bool = False
) -> tuple[Path, Company | None, list[Problem], _Later, str | None]:
    """:func:`_collect` without the store's put: also the checks left for later (with
    ``defer_checks``: the whole-table and company-level checks are returned, not run, and
    the company is made as if they found nothing) and the store key of a company loaded
    (None: a store hit, or no store)."""
    folder = Path(path).expanduser().absolute()
    if not folder.is_dir():
        return (
            folder,
            None,
            [Problem(f"{folder} is not a folder; give the company folder that holds {CONFIG_FILE} and the exports.")],
            [],
            None,
        )
    if outside := _links_outside(folder, [CONFIG_FILE, COMMENTARY_FILE]):
        return folder, None, outside, [], None
    try:
        config = load_config(folder)
    except ConfigError as exc:
        return folder, None, exc.problems + exc.warnings, [], None
    key = company_key(folder, config) if cache.writes else None
    if key and cache.reads and isinstance(hit := Store(STORE_KIND).get(key), Company):
        return folder, hit, list(hit.warnings), [], None
    company, problems, later = _load(folder, config, key or "", defer_checks)
    return folder, company, problems, later, key


def _load(
    folder: Path, config: CompanyConfig, key: str, defer_checks: bool = False
) -> tuple[Company | None, list[Problem], _Later]:
    """Every input of ``config`` read, mapped and checked: the company (None with errors),
    every problem and the checks left for later (``defer_checks``)."""
    later: _Later = []
    problems: list[Problem] = []
    frames: dict[str, pd.DataFrame] = {}
    sources: dict[str, list[Path]] = {}
    fx = None
    if config.fx_path and (outside := _links_outside(folder, [config.fx_path])):
        problems += outside
    elif config.fx_path:
        try:
            fx = read_fx(folder / config.fx_path, config.fx_path)
        except InputError as exc:
            problems += exc.problems
    for name in INPUT_NAMES:
        spec = config.inputs.get(name)
        if spec is None:
            continue
        if outside := _links_outside(folder, [spec.path, *(j.path for j in spec.join)], name):
            problems += outside
            continue
        loaded = load_input(folder, spec, config.currency, fx, defer_checks)
        if loaded.checks is not None:
            later.append((len(problems) + loaded.checks_at, loaded.checks))
        problems += loaded.problems
        sources[name] = loaded.sources
        if loaded.frame is not None:
            frames[name] = loaded.frame
    if defer_checks:
        loaded_frames = dict(frames)
        later.append((len(problems), lambda: _company_warnings(config, loaded_frames)))
    else:
        problems += _company_warnings(config, frames)
    errors = [p for p in problems if p.severity == "error"]
    company = (
        None
        if errors
        else Company(
            path=folder,
            slug=company_slug(folder),
            config=config,
            frames=frames,
            warnings=[p for p in problems if p.severity == "warning"],
            sources=sources,
            digest=key,
        )
    )
    return company, problems, later


def _links_outside(folder: Path, relatives: list[str], input_name: str | None = None) -> list[Problem]:
    """A Problem for each of ``relatives`` that a symbolic link takes out of ``folder``."""
    found = [safe_path(folder, r)[1] for r in relatives if r]
    return [replace(p, input=input_name) for p in found if p is not None]


def load_company(path: str | Path, *, cache: Mode = Mode.OFF) -> Company:
    """Load and validate a company folder.

    Parameters
    ----------
    path
        Folder holding ``company.toml`` and the files it names.
    cache
        ``Mode.USE``: read the validated company back from the store when none of its
        inputs changed (see :mod:`reportlib.inputs._cache`) and store it after a load;
        ``Mode.REFRESH``: load and store; ``Mode.OFF`` (default): neither.

    Returns
    -------
    Company
        Canonical frames (dtypes as in docs/architecture.md), config and warnings.

    Raises
    ------
    InputError
        Holding every problem found (a :class:`ConfigError` when company.toml itself is wrong).
    """
    folder, company, problems = _collect(path, cache)
    if company is None:
        if problems and all(p.file == CONFIG_FILE for p in problems if p.severity == "error"):
            raise ConfigError(problems, company=folder.name)
        raise InputError(problems, company=folder.name)
    return company


@dataclass
class UncheckedCompany:
    """A company from :func:`open_company`: its frames are usable, its whole-table and
    company-level checks (duplicates, gaps, suspicious amounts, one-month customers) not yet
    run. They only read the frames, so :meth:`run_checks` may run on another thread beside
    a computation on them; :meth:`finish` then gives what :func:`load_company` gives."""

    company: Company
    problems: list[Problem]  # found before the checks
    later: _Later
    key: str | None = None  # the store key of a company to store once checked

    def run_checks(self) -> list[Problem]:
        """Run the checks; every problem of the load, in the order :func:`load_company` finds them."""
        found = [run() for _, run in self.later]
        problems = list(self.problems)
        for (at, _), more in reversed(list(zip(self.later, found, strict=True))):
            problems[at:at] = more  # from the back, so the earlier places stay put
        return problems

    def finish(self, problems: list[Problem]) -> Company:
        """The company with the checks' warnings (``problems`` from :meth:`run_checks`) before
        those added since (as-of warnings), stored as :func:`load_company` would store it;
        raises what :func:`load_company` raises when a check found an error."""
        if any(p.severity == "error" for p in problems):
            # An input the checks refuse is left out of a load, which changes what the later
            # checks see: the plain load says it exactly, every problem at once.
            load_company(self.company.path)
            raise InputError(problems, company=self.company.path.name)  # not reached
        loaded = [p for p in problems if p.severity == "warning"]
        since = self.company.warnings[sum(p.severity == "warning" for p in self.problems) :]
        if self.key:
            Store(STORE_KIND).put(self.key, replace(self.company, warnings=loaded))
        self.company.warnings[:] = loaded + [w for w in since if w not in loaded]
        return self.company


def open_company(path: str | Path, *, cache: Mode = Mode.OFF) -> UncheckedCompany:
    """:func:`load_company` with the whole-table checks left to run (see
    :class:`UncheckedCompany`); a company read back from the store has none left.

    Raises
    ------
    InputError
        As :func:`load_company` when an error is found before the checks.
    """
    folder, company, problems, later, key = _gather(path, cache, defer_checks=True)
    if company is None:
        load_company(folder)  # raises every problem, the checks' included
        raise InputError(problems, company=folder.name)  # not reached
    return UncheckedCompany(company, problems, later, key)


def validate_company(path: str | Path, as_of: str | None = None, *, cache: Mode = Mode.OFF) -> ValidationReport:
    """Check a company folder and return every problem instead of raising.

    Parameters
    ----------
    path
        The company folder.
    as_of
        Optional month to check against the data (``YYYY-MM`` or a date).
    cache
        As :func:`load_company`: a stored company comes with the warnings found when it
        was loaded; errors are never stored.

    Returns
    -------
    ValidationReport
    """
    folder, company, problems = _collect(path, cache)
    if company is not None and as_of is not None:
        try:
            resolve_as_of(company, as_of)
            problems = problems + [w for w in company.warnings if w not in problems]
        except ParameterError as exc:
            problems.append(Problem(str(exc), column="--as-of"))
            company = None
    return ValidationReport(
        path=folder,
        errors=[p for p in problems if p.severity == "error"],
        warnings=[p for p in problems if p.severity == "warning"],
        company=company,
    )


# ======================================================================================
# as-of


def _data_months(company: Company) -> pd.PeriodIndex:
    f = company.frames
    source = company.revenue_source()
    if source == "mrr":
        months = f["mrr"]["month"]
    elif source == "contracts":
        # A contract export is as of its latest signature (blank signed dates are filled
        # from the start): contracts run on past that date, and a contract signed now may
        # start later, but months after the latest signature have not happened yet.
        c = f["contracts"]
        last = c["signed_date"].max()
        return pd.period_range(c["start_date"].min().to_period("M"), last.to_period("M"), freq="M")
    elif source == "transactions":
        months = f["transactions"]["date"].dt.to_period("M")
    else:
        # No revenue input: the span of whatever dated input there is (dates or months).
        cols = [
            pd.Series(pd.PeriodIndex(fr[c].dropna(), freq="M"))
            if isinstance(fr[c].dtype, pd.PeriodDtype)
            else fr[c].dropna().dt.to_period("M")
            for fr in f.values()
            for c in fr.columns
            if pd.api.types.is_datetime64_any_dtype(fr[c]) or isinstance(fr[c].dtype, pd.PeriodDtype)
        ]
        allv = pd.concat(cols).dropna() if cols else pd.Series([], dtype="period[M]")
        if allv.empty:
            return pd.PeriodIndex([], freq="M")
        return pd.period_range(allv.min(), allv.max(), freq="M")
    months = months.dropna()
    if months.empty:
        return pd.PeriodIndex([], freq="M")
    return pd.period_range(months.min(), months.max(), freq="M")


def data_last_month(company: Company) -> str:
    """The last month of the company's own data (``YYYY-MM``; "" when it has no dated row).

    The end of the range :func:`resolve_as_of` takes the as-of from: for contracts the
    latest signature (contracts serve on past it, but later months' new business cannot be
    in the export); for MRR and transactions their last month. A pack made later than this
    month reports months the company has not sent.
    """
    months = _data_months(company)
    return str(months[-1]) if len(months) else ""


def resolve_as_of(company: Company, as_of: str | None) -> tuple[pd.Period, pd.Timestamp]:
    """The reported month and the as-of date.

    Parameters
    ----------
    company
        A loaded company.
    as_of
        ``YYYY-MM`` or ``YYYY-MM-DD`` (a date is kept for pacing), or a quarter or fiscal
        year as ``--as-of`` takes them (``2026Q3``, ``FY2027Q1``, ``FY2027``: their last
        month, with the company's ``fiscal_year_start_month``), so that a notebook or a
        Python call reads the same forms as the command line; None for the last month of
        the revenue data.

    Returns
    -------
    tuple of (pandas.Period, pandas.Timestamp)
        The month (freq ``M``) and the date (the month's last day when only a month is given).

    Raises
    ------
    ParameterError
        When ``as_of`` is not a month or date, or falls outside the data's months.
    """
    months = _data_months(company)
    if months.empty:
        raise ParameterError(f"{company.config.name} has no dated rows to report on.")
    if as_of is None:
        month = months[-1]
        return month, month.to_timestamp(how="end").normalize()
    text = as_of_month(str(as_of).strip(), company.config.policies.fiscal_year_start_month)
    if re.fullmatch(r"\d{4}-\d{1,2}", text):
        try:
            month = pd.Period(text, freq="M")
        except ValueError:
            month = None
        date = month.to_timestamp(how="end").normalize() if month is not None else None
    elif re.fullmatch(r"\d{4}-\d{1,2}-\d{1,2}", text):
        try:
            date = pd.Timestamp(text)
            month = date.to_period("M")
        except ValueError:
            month = date = None
    else:
        month = date = None
    if month is None:
        raise ParameterError(
            f"--as-of '{as_of}' is not a month (YYYY-MM), a quarter (2026Q3, FY2027Q1), a fiscal year "
            "(FY2027) or a date (YYYY-MM-DD)."
        )
    served = _last_served(company, months)
    if month < months[0] or month > served:
        raise ParameterError(
            f"--as-of {month} is outside the data of {company.config.name}, which runs from {months[0]} to {served}."
        )
    if month > months[-1]:
        _warn_once(
            company,
            Problem(
                f"--as-of {month} is after the latest contract signature ({months[-1]}): contracts signed "
                "after the export was made cannot be in it, so bookings and new business of the later months "
                "may be understated.",
                file=company.config.inputs["contracts"].path,
                column="signed_date",
                severity="warning",
                input="contracts",
            ),
        )
    return month, date


def _last_served(company: Company, months: pd.PeriodIndex) -> pd.Period:
    """The last month an explicit as-of may take: for contracts, the last month any contract
    serves (an open-ended one: the month of the run); else the data's last month."""
    if company.revenue_source() != "contracts":
        return months[-1]
    c = company.frames["contracts"]
    served = c["end_date"].max() if c["end_date"].notna().all() else pd.Timestamp.now()
    return max(months[-1], served.to_period("M"))


def _warn_once(company: Company, problem: Problem) -> None:
    # The pack's data-quality page lists the company's warnings; resolve_as_of may run twice.
    if problem not in company.warnings:
        company.warnings.append(problem)


# ======================================================================================
# company-level warnings


def _company_warnings(config: CompanyConfig, frames: dict[str, pd.DataFrame]) -> list[Problem]:
    out: list[Problem] = []
    if not any(n in config.inputs for n in REVENUE_INPUTS) and config.inputs:
        out.append(
            Problem(
                "No revenue input (mrr, contracts or transactions): revenue sections are "
                "left out of the pack; only the sections of the inputs given are reported.",
                file=CONFIG_FILE,
                column="inputs",
                severity="warning",
            )
        )
    if "mrr" in frames:
        spec = config.inputs["mrr"]
        out += _one_month_customers(frames["mrr"], spec.path)
        totals = frames["mrr"].groupby("month", observed=True)["mrr"].sum()
        out += _outliers(totals, "total MRR", spec.path, "mrr")
    if "financials" in frames and "revenue" in frames["financials"]:
        fin = frames["financials"]
        totals = fin.groupby("month", observed=True)["revenue"].sum()
        out += _outliers(totals, "revenue", config.inputs["financials"].path, "financials")
    return out


def _one_month_customers(mrr: pd.DataFrame, file: str) -> list[Problem]:
    # A customer new in the last month has one month of MRR by nature; not worth a warning.
    once, n = one_month_customers(mrr["customer_id"], mrr["month"], mrr["mrr"])
    if n == 0:
        return []
    ids = ", ".join(str(i) for i in once[:MAX_ROWS])
    more = f" and {n - MAX_ROWS:,} more" if n > MAX_ROWS else ""
    return [
        Problem(
            f"{n:,} customer(s) have MRR in only one month ({ids}{more}); check that "
            "their other months are not missing from the export (one-off fees do not belong in MRR).",
            file=file,
            column="customer_id",
            severity="warning",
            input="mrr",
        )
    ]


def _outliers(totals: pd.Series, what: str, file: str, name: str) -> list[Problem]:
    """Months whose total differs by more than half from both neighbours, in the same direction."""
    totals = totals.sort_index()
    if len(totals) < 3:
        return []
    prev, nxt = totals.shift(1), totals.shift(-1)
    base = (prev + nxt) / 2
    spike = (totals > 1.5 * prev) & (totals > 1.5 * nxt)
    dip = (totals < 0.5 * prev) & (totals < 0.5 * nxt)
    flagged = totals.loc[(spike | dip) & (base > 0)]
    return [
        Problem(
            f"{what} of {m} ({v:,.0f}) is far from the months around it "
            f"({prev[m]:,.0f} before, {nxt[m]:,.0f} after); check that month of the export.",
            file=file,
            column="month",
            severity="warning",
            input=name,
        )
        for m, v in flagged.head(MAX_ROWS).items()
    ]
