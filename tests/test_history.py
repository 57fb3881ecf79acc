"""reportlib history: every KPI across the packs issued, one row per as-of."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from reportlib.cli import main
from reportlib.exceptions import ParameterError
from reportlib.portfolio.history import kpi_history


def issued(root: Path, name: str, values: dict[str, float | None]) -> None:
    (root / name).mkdir(parents=True)
    pd.DataFrame({"kpi": list(values), "value": list(values.values())}).to_csv(root / name / "kpis.csv", index=False)


def test_history_one_row_per_pack(tmp_path, capsys):
    root = tmp_path / "reports" / "acme"
    issued(root, "2026-03", {"arr": 1000.0, "nrr": 0.95})
    issued(root, "2026-06", {"arr": 1200.0, "nrr": None, "burn_multiple": 1.5})
    issued(root, "2026-06_segment-SMB", {"arr": 300.0})
    (root / "2026-09").mkdir()  # an unfinished folder without kpis.csv is no pack
    table = kpi_history(root)
    assert list(table.columns) == ["as_of", "arr", "nrr", "burn_multiple"]  # latest pack's order
    assert table["as_of"].tolist() == ["2026-03", "2026-06"]
    assert table["arr"].tolist() == [1000.0, 1200.0]
    assert table["nrr"].iloc[0] == 0.95 and pd.isna(table["nrr"].iloc[1])
    assert pd.isna(table["burn_multiple"].iloc[0])
    assert kpi_history(root, ("segment", "SMB"))["arr"].tolist() == [300.0]

    assert main(["history", str(root)]) == 0
    out = capsys.readouterr().out
    assert "2026-03" in out and "1,200" in out and f"Wrote {root / 'history.csv'}" in out
    assert pd.read_csv(root / "history.csv")["arr"].tolist() == [1000.0, 1200.0]


def test_no_pack_is_a_message(tmp_path, capsys):
    with pytest.raises(ParameterError):
        kpi_history(tmp_path)
    assert main(["history", str(tmp_path)]) == 1
    assert "No pack" in capsys.readouterr().err
