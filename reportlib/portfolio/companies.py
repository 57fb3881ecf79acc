"""Finding a fund's company folders and the packs to make for each of them."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from reportlib.exceptions import ConfigError
from reportlib.inputs.config import load_config
from reportlib.portfolio._exec import Task

__all__ = ["FundCompany", "describe_company", "find_companies", "pack_tasks"]


@dataclass(frozen=True)
class FundCompany:
    """A company folder of the fund, as far as the portfolio run needs to know it."""

    slug: str
    path: Path
    name: str
    currency: str
    stage: str
    gtm: str
    segments: tuple[tuple[str, str], ...]
    size: int = 0  # bytes of its input files: big companies are started first


def find_companies(data_dir: str | Path) -> list[Path]:
    """Every folder under ``data_dir`` (itself included) holding a ``company.toml``.

    Returns
    -------
    list of Path
        Sorted by their path relative to ``data_dir``; hidden folders are left out.
    """
    root = Path(data_dir).resolve()
    found = [
        p.parent
        for p in root.rglob("company.toml")
        if not any(part.startswith(".") for part in p.relative_to(root).parts[:-1])
    ]
    return sorted(found, key=lambda p: p.relative_to(root).as_posix())


def describe_company(path: Path, root: Path) -> FundCompany:
    """Name, currency, stage, gtm and segments from company.toml (folder name when it does not load)."""
    size = sum(f.stat().st_size for f in path.iterdir() if f.is_file())
    try:
        cfg = load_config(path)
    except ConfigError:  # the pack reports the problems as this company's failure
        return FundCompany(path.name, path, path.name, "", "", "", (), size)
    return FundCompany(
        path.name, path, cfg.name, cfg.currency, cfg.stage, cfg.gtm, tuple(tuple(s) for s in cfg.segments), size
    )


def pack_tasks(companies: list[FundCompany], segments: bool) -> list[Task]:
    """One task per company, and per configured segment with ``segments``."""
    pairs = [(c, None) for c in companies]
    if segments:
        pairs = [(c, s) for c in companies for s in (None, *c.segments)]
    return [Task(i, c.slug, str(c.path), s, c.size) for i, (c, s) in enumerate(pairs)]
