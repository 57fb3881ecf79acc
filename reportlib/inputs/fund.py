"""Read a fund's ``fund.toml``: what is the same for every company of a fund.

``fund.toml`` sits at the root of the portfolio folder (beside the company folders) or is
named with ``--fund FILE`` (which sets ``REPORTLIB_FUND`` so that workers and kernels find
the same file). A company's own ``company.toml`` wins over it::

    [fund]
    name = "Northwind Ventures II"
    currency = "EUR"
    fx = "fx_rates.csv"              # currency, month, rate to the fund currency

    [branding]
    logo = "logo.svg"                # PNG or SVG: on the cover and in the footer
    font = "DejaVu Serif"
    colors = { primary = "#0B3C5D", accent = "#D9822B", green = "#2E8B57", amber = "#E8A317", red = "#C0392B" }

    [kpis]
    north_star = ["arr", "nrr", "burn_multiple", "cac_payback_months"]

    [notebooks]
    path = "sections"                # NN_name.ipynb: replaces (same name), adds (new name), empty file removes

Paths are relative to the folder of ``fund.toml``. Every mistake is collected and raised
together as one :class:`~reportlib.exceptions.ConfigError`.
"""

from __future__ import annotations

import difflib
import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from reportlib import registry
from reportlib.exceptions import ConfigError, Problem

__all__ = ["FUND_FILE", "FUND_ENV", "COLOR_NAMES", "FundConfig", "find_fund", "load_fund"]

FUND_FILE = "fund.toml"
#: Set by ``--fund FILE``: read by every process of the run (workers, notebook kernels).
FUND_ENV = "REPORTLIB_FUND"
COLOR_NAMES = ("primary", "accent", "green", "amber", "red")
LOGO_SUFFIXES = (".png", ".svg")
_KEYS = {
    "": ("fund", "branding", "kpis", "notebooks"),
    "fund": ("name", "currency", "fx"),
    "branding": ("logo", "colors", "font"),
    "kpis": ("north_star",),
    "notebooks": ("path",),
}
_HEX = re.compile(r"#[0-9A-Fa-f]{6}")
_FONT = re.compile(r"[A-Za-z0-9 ._-]{1,60}")  # a family name, nothing that could end the CSS rule


@dataclass(frozen=True)
class FundConfig:
    """Everything fund.toml says; paths are absolute, empty when not given."""

    path: Path
    name: str = ""
    currency: str = ""
    fx: Path | None = None
    logo: Path | None = None
    colors: dict[str, str] = field(default_factory=dict)
    font: str = ""
    north_star: list[str] = field(default_factory=list)
    notebooks: Path | None = None

    def files(self) -> list[Path]:
        """The files whose content changes a pack: fund.toml, the logo, the custom notebooks."""
        found = [self.path] + ([self.logo] if self.logo else [])
        if self.notebooks is not None:
            found += sorted(self.notebooks.glob("*.ipynb"))
        return found


def find_fund(company_dir: str | Path | None = None, fund: str | Path | None = None) -> FundConfig | None:
    """The fund of a company: ``fund`` if given, else ``$REPORTLIB_FUND``, else
    ``fund.toml`` in the company folder's parent (the portfolio root); None when none.

    Raises
    ------
    ConfigError
        A given fund file is missing, or a found one is invalid.
    """
    given = fund or os.environ.get(FUND_ENV) or None
    if given:
        return load_fund(given)
    if company_dir is None:
        return None
    candidate = Path(company_dir).expanduser().absolute().parent / FUND_FILE
    return load_fund(candidate) if candidate.is_file() else None


def load_fund(path: str | Path) -> FundConfig:
    """Read and check ``fund.toml`` (the file, or the portfolio folder holding it).

    Raises
    ------
    ConfigError
        With every problem found (missing file, invalid TOML, unknown keys, bad values).
    """
    file = Path(path).expanduser().absolute()
    file = file / FUND_FILE if file.is_dir() else file
    if not file.is_file():
        raise ConfigError(
            [
                Problem(
                    f"There is no fund file {file}; give the path of a fund.toml (see README, 'Brand it').",
                    file=FUND_FILE,
                )
            ]
        )
    try:
        data = tomllib.loads(file.read_text(encoding="utf-8-sig"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError([Problem(f"{FUND_FILE} is not valid TOML: {exc}.", file=str(file))]) from None
    checker = _FundChecker(file)
    fund = checker.fund(data)
    if checker.problems:
        raise ConfigError(checker.problems)
    return fund


class _FundChecker:
    def __init__(self, file: Path) -> None:
        self.file = file
        self.root = file.parent
        self.problems: list[Problem] = []

    def fail(self, key: str, message: str) -> None:
        self.problems.append(Problem(f"{key} {message}", file=str(self.file)))

    def table(self, data: dict, name: str) -> dict:
        value = data.get(name, {})
        if not isinstance(value, dict):
            self.fail(f"[{name}]", "must be a table.")
            return {}
        allowed = _KEYS[name]
        for key in value:
            if key not in allowed:
                hit = difflib.get_close_matches(key, allowed, n=1)
                self.fail(
                    f"{name}.{key}",
                    "is not a setting of fund.toml."
                    + (f" Did you mean '{hit[0]}'?" if hit else f" Known: {', '.join(allowed)}."),
                )
        return value

    def text(self, table: dict, key: str, where: str) -> str:
        value = table.get(key, "")
        if not isinstance(value, str):
            self.fail(f"{where}.{key}", "must be text in quotes.")
            return ""
        return value.strip()

    def file_path(self, table: dict, key: str, where: str, folder: bool = False) -> Path | None:
        text = self.text(table, key, where)
        if not text:
            return None
        path = (self.root / text).resolve()
        if not (path.is_dir() if folder else path.is_file()):
            self.fail(f"{where}.{key}", f"names {path}, which is not a {'folder' if folder else 'file'}.")
            return None
        return path

    def fund(self, data: dict) -> FundConfig:
        for key in data:
            if key not in _KEYS[""]:
                self.fail(f"[{key}]", f"is not a section of fund.toml (known: {', '.join(_KEYS[''])}).")
        fund, branding = self.table(data, "fund"), self.table(data, "branding")
        currency = self.text(fund, "currency", "fund")
        if currency and not re.fullmatch(r"[A-Z]{3}", currency):
            self.fail("fund.currency", f'must be a three-letter ISO code such as "EUR", not {currency!r}.')
        logo = self.file_path(branding, "logo", "branding")
        if logo is not None and logo.suffix.lower() not in LOGO_SUFFIXES:
            self.fail("branding.logo", f"must be a PNG or SVG file, not {logo.name}.")
            logo = None
        return FundConfig(
            path=self.file,
            name=self.text(fund, "name", "fund"),
            currency=currency,
            fx=self.file_path(fund, "fx", "fund"),
            logo=logo,
            colors=self.colors(branding),
            font=self.font(branding),
            north_star=self.north_star(self.table(data, "kpis")),
            notebooks=self.file_path(self.table(data, "notebooks"), "path", "notebooks", folder=True),
        )

    def font(self, branding: dict) -> str:
        font = self.text(branding, "font", "branding")
        if font and not _FONT.fullmatch(font):
            self.fail("branding.font", f'must be a font family name such as "DejaVu Serif", not {font!r}.')
            return ""
        return font

    def colors(self, branding: dict) -> dict[str, str]:
        value = branding.get("colors", {})
        if not isinstance(value, dict):
            self.fail("branding.colors", 'must be a table like { primary = "#0B3C5D" }.')
            return {}
        out = {}
        for name, colour in value.items():
            if name not in COLOR_NAMES:
                hit = difflib.get_close_matches(name, COLOR_NAMES, n=1)
                self.fail(
                    f"branding.colors.{name}",
                    "is not a colour of the theme."
                    + (f" Did you mean '{hit[0]}'?" if hit else f" Known: {', '.join(COLOR_NAMES)}."),
                )
            elif not isinstance(colour, str) or not _HEX.fullmatch(colour):
                self.fail(f"branding.colors.{name}", f'must be a colour like "#1F4E79", not {colour!r}.')
            else:
                out[name] = colour.upper()
        return out

    def north_star(self, kpis: dict) -> list[str]:
        value = kpis.get("north_star", [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.fail("kpis.north_star", 'must be a list of KPI ids from METRICS.md, e.g. ["arr", "nrr"].')
            return []
        unknown = [v for v in value if v not in registry.REGISTRY]
        for kpi in unknown:
            hit = difflib.get_close_matches(kpi, list(registry.REGISTRY), n=1)
            self.fail("kpis.north_star", f"{kpi!r} is not a KPI id." + (f" Did you mean '{hit[0]}'?" if hit else ""))
        if value and not unknown and not 3 <= len(value) <= 5:
            self.fail("kpis.north_star", f"must name 3 to 5 KPIs, not {len(value)}.")
        return [] if unknown else list(value)
