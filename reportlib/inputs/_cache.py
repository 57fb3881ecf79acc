"""The key of a loaded company in the store (:mod:`reportlib._store`): what a validated
:class:`~reportlib.inputs.Company` depends on, so that a re-run with the same inputs reads it
back instead of loading and validating every file again.

The key covers

* the folder's absolute path (the Company holds it: commentary, slug and sources are read
  from it, so a copy of the folder elsewhere is another company);
* the parsed company.toml with the fund settings it took in (``repr`` of the
  :class:`~reportlib.inputs.config.CompanyConfig`: north stars, policies, inputs, the
  ``FundConfig`` found through ``$REPORTLIB_FUND`` or the parent folder) and the bytes of
  company.toml and fund.toml;
* the name and bytes of every file the load reads: each input's paths with their glob
  patterns resolved again now (a new file matching a pattern changes the key), joined
  files and the ``[fx]`` rates;
* the reportlib code (:func:`~reportlib._store.code_digest`) and the library versions.

Ruled out, and why: commentary.md and ``commentary/*.md`` are not read by the load (only
their links are checked, before the store is asked; the pack reads them fresh in the
notebooks). Today's date only reaches :func:`~reportlib.inputs.resolve_as_of`, which is run
again on every call, hit or miss. DuckDB transforms run with external access off, so a
``sql`` key cannot read any other file. No environment variable other than
``$REPORTLIB_FUND`` (in the config) is read while loading.
"""

from __future__ import annotations

from pathlib import Path

from reportlib._store import code_digest, digest, file_digest, library_versions
from reportlib.inputs._readers import ReadError, resolve_paths
from reportlib.inputs.config import CONFIG_FILE, CompanyConfig, safe_path

__all__ = ["KEY_VERSION", "company_key"]

#: Bumped when what a key covers changes, so that entries of older rules miss.
KEY_VERSION = 1


def company_key(folder: Path, config: CompanyConfig) -> str | None:
    """The store key of the company in ``folder`` as ``config`` describes it; None when a
    file cannot be found or read, or a link leads outside the folder: the load then
    reports the problem, and a company with problems is never stored."""
    relatives = [config.fx_path] if config.fx_path else []
    for spec in config.inputs.values():
        relatives += [spec.path, *(j.path for j in spec.join)]
    if any(safe_path(folder, r)[1] is not None for r in relatives if r):
        return None
    try:
        files = [folder / CONFIG_FILE] + ([folder / config.fx_path] if config.fx_path else [])
        for name in sorted(config.inputs):
            spec = config.inputs[name]
            files += resolve_paths(folder, spec.patterns, name) + [folder / j.path for j in spec.join]
        fund = (str(config.fund.path), file_digest(config.fund.path)) if config.fund else None
        hashed = tuple((_shown(folder, f), file_digest(f)) for f in dict.fromkeys(files))
    except (OSError, ReadError):
        return None
    return digest("inputs", KEY_VERSION, str(folder), repr(config), fund, hashed, code_digest(), library_versions())


def _shown(folder: Path, path: Path) -> str:
    try:
        return path.relative_to(folder).as_posix()
    except ValueError:
        return str(path)
