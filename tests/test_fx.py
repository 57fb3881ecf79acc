"""Per-company FX (reportlib.inputs._fx) and the [fx] / accounts keys of company.toml."""

from __future__ import annotations

import pandas as pd
import pytest

from reportlib.exceptions import ConfigError, InputError
from reportlib.inputs._fx import convert, read_fx
from reportlib.inputs.config import load_config


@pytest.fixture
def fx(tmp_path):
    (tmp_path / "fx.csv").write_text("currency,month,rate\nEUR,2026-01,0.85\nEUR,2026-02,0.86\nUSD,2026-01,0.79\n")
    return read_fx(tmp_path / "fx.csv")


def test_foreign_rows_converted_with_the_rate_of_their_month(fx):
    frame = pd.DataFrame(
        {
            "customer_id": ["a", "b", "c", "d"],
            "date": pd.to_datetime(["2026-01-10", "2026-02-03", "2026-01-20", "2026-02-01"]),
            "amount": [100.0, 100.0, 200.0, 50.0],
            "currency": ["EUR", "eur", "USD", "GBP"],
            "__row__": [2, 3, 4, 5],
        }
    )
    out, problems = convert(frame, "transactions", "GBP", fx)
    assert problems == []
    # 100 EUR x 0.85 = 85; 100 EUR x 0.86 (February) = 86; 200 USD x 0.79 = 158; GBP unchanged
    assert out["amount"].tolist() == pytest.approx([85, 86, 158, 50])
    assert set(out["currency"]) == {"GBP"}


def test_missing_rate_names_currency_month_and_rows(fx):
    frame = pd.DataFrame(
        {
            "month": pd.to_datetime(["2026-03-01", "2026-03-01", "2026-01-01"]),
            "customer_id": ["a", "b", "c"],
            "mrr": [10.0, 20.0, 30.0],
            "currency": ["EUR", "EUR", "CHF"],
            "__row__": [7, 8, 9],
        }
    )
    _, problems = convert(frame, "mrr", "GBP", fx, file="mrr.csv")
    messages = sorted(p.message for p in problems)
    assert len(problems) == 2
    assert messages[0].startswith("No exchange rate for CHF in 2026-01") and problems[0].file == "mrr.csv"
    assert messages[1].startswith("No exchange rate for EUR in 2026-03") and "(rows 7, 8)" in messages[1]


def test_foreign_amounts_without_fx_table_say_how_to_add_one():
    frame = pd.DataFrame(
        {"created_at": pd.to_datetime(["2026-04-02"]), "amount": [10000.0], "currency": ["EUR"], "__row__": [7]}
    )
    _, (problem,) = convert(frame, "opportunities", "GBP", None)
    assert "no [fx] table" in problem.message and problem.row == 7 and "EUR,2026-04" in problem.message


def test_a_row_with_no_amount_needs_no_rate(fx):
    # A contract in CHF (no rate in the table) with mrr and tcv both blank, beside an EUR one of
    # January: nothing to convert on the CHF row, so no "No exchange rate for CHF" error.
    frame = pd.DataFrame(
        {
            "signed_date": pd.to_datetime(["2026-01-15", "2026-07-01"]),
            "mrr": [100.0, None],
            "tcv": [None, None],
            "currency": ["EUR", "CHF"],
            "__row__": [2, 3],
        }
    )
    out, problems = convert(frame, "contracts", "GBP", fx)
    assert problems == []
    assert out["mrr"].tolist()[0] == pytest.approx(85)  # 100 EUR x 0.85
    assert pd.isna(out["mrr"].tolist()[1])


def test_bad_fx_file_reports_every_row(tmp_path):
    (tmp_path / "fx.csv").write_text("currency,month,rate\nEUR,soon,0.85\nUSD,2026-01,-1\n")
    with pytest.raises(InputError) as err:
        read_fx(tmp_path / "fx.csv")
    assert [(p.row, p.column) for p in err.value.problems] == [(2, "month"), (3, "rate")]


def write_config(folder, fx_and_inputs: str) -> None:
    head = '[company]\nname = "Acme"\ncurrency = "USD"\n[fx]\n'
    (folder / "company.toml").write_text(head + fx_and_inputs)


def test_config_reads_fx_path_and_accounts_mapping(tmp_path):
    write_config(
        tmp_path,
        """path = "fx.csv"
[inputs.financials]
path = "ProfitAndLoss_by_Month.xlsx"
layout = "accounts"
[inputs.financials.accounts]
sales_marketing = ["6000*", "Commissions"]
general_admin = "8000 Rent"
""",
    )
    config = load_config(tmp_path)
    assert config.fx_path == "fx.csv"
    spec = config.inputs["financials"]
    assert spec.layout == "accounts"
    assert spec.accounts == {"sales_marketing": ("6000*", "Commissions"), "general_admin": ("8000 Rent",)}


def test_config_refuses_accounts_outside_financials(tmp_path):
    write_config(
        tmp_path,
        """paht = "fx.csv"
[inputs.mrr]
path = "mrr.csv"
layout = "accounts"
""",
    )
    with pytest.raises(ConfigError) as err:
        load_config(tmp_path)
    text = str(err.value)
    assert "Did you mean 'path'" in text and "only supported for [inputs.financials]" in text
