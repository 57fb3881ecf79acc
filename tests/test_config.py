"""company.toml: defaults, every kind of mistake, Policies.describe()."""

from __future__ import annotations

from pathlib import Path

import pytest

from reportlib.exceptions import ConfigError
from reportlib.inputs.config import DEFAULT_NORTH_STAR, CompanyConfig, Policies, load_config, safe_relative_path

MINIMAL = """
[company]
name = "Acme"
currency = "EUR"

[inputs.mrr]
path = "mrr.csv"
columns = { customer_id = "Customer", month = "Month", mrr = "MRR" }
"""


def write(tmp_path: Path, text: str) -> Path:
    (tmp_path / "company.toml").write_text(text, encoding="utf-8")
    return tmp_path


def problems(tmp_path: Path, text: str) -> list[str]:
    with pytest.raises(ConfigError) as exc:
        load_config(write(tmp_path, text))
    return [str(p) for p in exc.value.problems]


def test_minimal_config_has_documented_defaults(tmp_path):
    config = load_config(write(tmp_path, MINIMAL))
    assert isinstance(config, CompanyConfig)
    assert (config.name, config.currency, config.stage, config.gtm) == ("Acme", "EUR", "early", "hybrid")
    assert config.north_star == list(DEFAULT_NORTH_STAR) == ["arr", "nrr", "burn_multiple", "cac_payback_months"]
    assert config.policies == Policies()
    assert config.policies.cac_lag_months == 0 and config.policies.pacing_amber == 0.9
    spec = config.inputs["mrr"]
    assert spec.layout == "long" and spec.on_bad_rows == "error" and spec.decimal == "."
    assert spec.columns == {"customer_id": "Customer", "month": "Month", "mrr": "MRR"}
    assert config.segments == [] and config.compare is None


def test_full_config_is_read(tmp_path):
    config = load_config(
        write(
            tmp_path,
            MINIMAL
            + """
[policies]
cac_lag_months = 1
reactivation_window_months = 6
ltv_max_lifetime_years = 5
magic_number_basis = "gross"
mrr_includes_uncontracted = true
sm_allocation = "new_arr"

[kpis]
north_star = ["arr", "nrr", "magic_number"]

[report]
segments = ["segment=SMB", "segment = Enterprise"]
compare = "segment=SMB,Enterprise"

[inputs.leads]
path = "crm/leads.csv"
delimiter = ";"
decimal = ","
thousands = "."
encoding = "latin-1"
date_format = "%d.%m.%Y"
defaults = { channel = "inbound" }

[inputs.leads.values.channel]
Web = "inbound"

[[inputs.leads.join]]
path = "crm/deals.csv"
on = "lead"
columns = { customer_at = "won" }
how = "inner"
""",
        )
    )
    p = config.policies
    assert (p.cac_lag_months, p.reactivation_window_months, p.ltv_max_lifetime_years) == (1, 6, 5.0)
    assert isinstance(p.ltv_max_lifetime_years, float)
    assert p.magic_number_basis == "gross" and p.mrr_includes_uncontracted and p.sm_allocation == "new_arr"
    assert config.north_star == ["arr", "nrr", "magic_number"]
    assert config.segments == [("segment", "SMB"), ("segment", "Enterprise")]
    assert config.compare == ("segment", ("SMB", "Enterprise"))
    leads = config.inputs["leads"]
    assert leads.on_bad_rows == "warn"  # the CRM default
    assert (leads.delimiter, leads.decimal, leads.thousands, leads.encoding) == (";", ",", ".", "latin-1")
    assert leads.values == {"channel": {"Web": "inbound"}}
    assert leads.join[0].on == ("lead",) and leads.join[0].how == "inner"


@pytest.mark.parametrize(
    "name, default",
    [
        ("mrr", "error"),
        ("contracts", "error"),
        ("transactions", "error"),
        ("financials", "error"),
        ("leads", "warn"),
        ("traffic", "warn"),
        ("opportunities", "warn"),
        ("targets", "warn"),
        ("usage", "warn"),
        ("nps", "warn"),
    ],
)
def test_on_bad_rows_defaults(tmp_path, name, default):
    config = load_config(write(tmp_path, MINIMAL + f'\n[inputs.{name if name != "mrr" else "nps"}]\npath = "x.csv"\n'))
    assert config.inputs[name].on_bad_rows == default


def test_invalid_toml_gives_line_and_column(tmp_path):
    with pytest.raises(ConfigError) as exc:
        load_config(write(tmp_path, '[company]\nname = "Acme\ncurrency = "EUR"\n'))
    (p,) = exc.value.problems
    assert p.file == "company.toml" and p.row == 2
    assert "not valid TOML: at line 2, column" in p.message


def test_missing_company_toml(tmp_path):
    with pytest.raises(ConfigError, match="There is no company.toml"):
        load_config(tmp_path)


@pytest.mark.parametrize(
    "text, expected",
    [
        (
            MINIMAL.replace("currency", "curency"),
            "Unknown key 'company.curency' in company.toml. Did you mean 'currency'?",
        ),
        (
            MINIMAL + "\n[policy]\ncac_lag_months = 1\n",
            "Unknown key 'policy' in company.toml. Did you mean 'policies'?",
        ),
        (MINIMAL + "\n[policies]\ncac_lag = 1\n", "Did you mean 'cac_lag_months'?"),
        (
            MINIMAL.replace("columns =", "colums ="),
            "Unknown key 'inputs.mrr.colums' in company.toml. Did you mean 'columns'?",
        ),
        (
            MINIMAL.replace("[inputs.mrr]", "[inputs.mmr]"),
            "Unknown key 'inputs.mmr' in company.toml. Did you mean 'mrr'?",
        ),
        (MINIMAL + '\n[[inputs.mrr.join]]\npath = "a.csv"\non = "x"\ncolumn = {}\n', "Did you mean 'columns'?"),
    ],
)
def test_unknown_keys_suggest_the_closest(tmp_path, text, expected):
    assert any(expected in m for m in problems(tmp_path, text))


@pytest.mark.parametrize(
    "extra, expected",
    [
        ('stage = "seed"', "company.stage must be one of 'early', 'growth', 'scale', not 'seed'."),
        ('gtm = "plg"', "company.gtm must be one of 'sales-led', 'product-led', 'hybrid'"),
        ('gtm = "product led"', "Did you mean 'product-led'?"),
    ],
)
def test_company_values(tmp_path, extra, expected):
    text = MINIMAL.replace('currency = "EUR"', f'currency = "EUR"\n{extra}')
    assert any(expected in m for m in problems(tmp_path, text))


@pytest.mark.parametrize(
    "policies, expected",
    [
        ("cac_lag_months = -1", "policies.cac_lag_months must be 0 or a positive whole number of months."),
        ("cac_lag_months = 1.5", "policies.cac_lag_months must be a whole number, not 1.5."),
        ("cac_lag_months = true", "policies.cac_lag_months must be a whole number, not True."),
        ('magic_number_basis = "netnew"', "Did you mean 'net_new'?"),
        ("pacing_amber = 90", "policies.pacing_amber must be a fraction between 0 and 1"),
        ('mrr_includes_uncontracted = "yes"', "must be true or false"),
        ('sm_allocation = "revenue"', "must be one of 'none', 'new_customers', 'new_arr'"),
    ],
)
def test_policy_values(tmp_path, policies, expected):
    assert any(expected in m for m in problems(tmp_path, MINIMAL + f"\n[policies]\n{policies}\n"))


def test_policy_none_spelled_out(tmp_path):
    config = load_config(write(tmp_path, MINIMAL + '\n[policies]\nreactivation_window_months = "none"\n'))
    assert config.policies.reactivation_window_months is None


@pytest.mark.parametrize(
    "text, expected",
    [
        (MINIMAL.replace('currency = "EUR"', 'currency = "euro"'), "three-letter ISO code"),
        (MINIMAL.replace('name = "Acme"\n', ""), "company.name is required"),
        (
            MINIMAL.replace("layout", "x").replace('path = "mrr.csv"', 'path = "mrr.csv"\nlayout = "tall"'),
            "inputs.mrr.layout must be one of 'long', 'wide'",
        ),
        (
            MINIMAL.replace('path = "mrr.csv"', 'path = "mrr.csv"\non_bad_rows = "skip"'),
            "inputs.mrr.on_bad_rows must be one of 'error', 'warn'",
        ),
        (MINIMAL.replace('path = "mrr.csv"', 'path = "mrr.csv"\ndecimal = ",,"'), "must be a single character"),
        (MINIMAL.replace('path = "mrr.csv"', 'path = "mrr.csv"\nencoding = "klingon"'), "is not a known text encoding"),
        (
            MINIMAL.replace('path = "mrr.csv"', 'path = "mrr.csv"\ndayfirst = "yes"'),
            "inputs.mrr.dayfirst must be true or false",
        ),
        (
            MINIMAL.replace('path = "mrr.csv"', 'path = "mrr.csv"\nend_date_exclusive = true'),
            "only applies to [inputs.contracts]",
        ),
        (MINIMAL + '\n[inputs.leads]\npath = "l.csv"\nlayout = "wide"\n', "only supported for [inputs.mrr]"),
        (MINIMAL + '\n[kpis]\nnorth_star = ["arr"]\n', "must name 3 to 5 KPIs"),
        (MINIMAL + '\n[report]\nsegments = ["Enterprise"]\n', 'entries must look like "segment=Enterprise"'),
        (MINIMAL + '\n[report]\ncompare = "segment=SMB"\n', "one key, two values"),
        (MINIMAL.replace('path = "mrr.csv"\n', ""), "inputs.mrr.path is required"),
        ('[company]\nname = "A"\ncurrency = "EUR"\n', "names no input files"),
    ],
)
def test_invalid_values(tmp_path, text, expected):
    assert any(expected in m for m in problems(tmp_path, text))


def test_all_problems_at_once(tmp_path):
    text = (
        MINIMAL.replace('currency = "EUR"', 'currency = "EUR"\nstage = "seed"\ncolour = "red"')
        + "\n[policies]\ncac_lag_months = -2\n"
    )
    messages = problems(tmp_path, text)
    assert len(messages) == 3


@pytest.mark.parametrize("path", ["../x.csv", "a/../../x.csv", "/etc/passwd", "C:\\data\\x.csv", "..\\x.csv", ""])
def test_paths_must_stay_in_the_folder(tmp_path, path):
    assert safe_relative_path(path)
    messages = problems(
        tmp_path, MINIMAL.replace('"mrr.csv"', repr(path).replace("'", '"') if "\\" not in path else "'" + path + "'")
    )
    assert any("inputs.mrr.path" in m for m in messages)


def test_join_paths_must_stay_in_the_folder(tmp_path):
    messages = problems(tmp_path, MINIMAL + '\n[[inputs.mrr.join]]\npath = "../other/x.csv"\non = "k"\n')
    assert any("inputs.mrr.join[1].path '../other/x.csv' goes up out of the company folder" in m for m in messages)


@pytest.mark.parametrize("path", ["mrr.csv", "exports/2024/mrr.csv", "./mrr.csv", "a..b.csv"])
def test_relative_paths_inside_are_fine(path):
    assert safe_relative_path(path) is None


def test_policies_describe():
    rows = Policies(cac_lag_months=2).describe()
    names = [r[0] for r in rows]
    assert names == [
        "reactivation_window_months",
        "cac_lag_months",
        "ltv_max_lifetime_years",
        "ltv_churn_basis",
        "magic_number_basis",
        "mrr_includes_uncontracted",
        "sm_allocation",
        "pacing_amber",
        "alert_threshold",
        "fiscal_year_start_month",
    ]
    d = {n: (v, m) for n, v, m in rows}
    assert d["cac_lag_months"][0] == "2" and "2 month(s) before" in d["cac_lag_months"][1]
    assert d["reactivation_window_months"][0] == "none"
    assert d["pacing_amber"][1].startswith("pipeline pace of at least 90%")
    assert all(isinstance(x, str) and x for r in rows for x in r)


def test_misspelled_north_star_is_a_message_with_a_suggestion(tmp_path: Path) -> None:
    (tmp_path / "company.toml").write_text(MINIMAL + '\n[kpis]\nnorth_star = ["arr", "nrr", "burn_multipel"]\n')
    with pytest.raises(ConfigError) as err:
        load_config(tmp_path / "company.toml")
    text = str(err.value)
    assert "'burn_multipel' is not a KPI id" in text and "did you mean 'burn_multiple'" in text.lower()


def test_one_file_column_mapped_to_a_date_and_a_label_is_refused(tmp_path):
    # A copy-paste slip: channel = "Month". The traffic file has 4 channels x 2 months = 8 rows;
    # read so, its "channels" are the months 2026-01 and 2026-02, the 8 rows collapse into 2 and
    # each channel's visitors are gone, with no word: company.toml is refused naming the key.
    text = MINIMAL + (
        '[inputs.traffic]\npath = "traffic.csv"\n'
        'columns = { month = "Month", channel = "Month", visitors = "Visitors" }\n'
    )
    assert problems(tmp_path, text) == [
        "company.toml, column 'inputs.traffic.columns': inputs.traffic.columns maps month (a date) and "
        "channel (text) to the same file column 'Month': one of them is not in that column. Map each to "
        "the column that holds it."
    ]


def test_one_file_column_for_two_labels_or_two_dates_is_fine(tmp_path):
    # A CRM with one "Deal Stage" column gives both the stage and (translated) the outcome; a
    # product-led signup is the lead's creation: the same sort of value, read twice on purpose.
    text = MINIMAL + (
        '[inputs.opportunities]\npath = "deals.csv"\n'
        'columns = { opportunity_id = "Id", created_at = "Created", amount = "Amount", stage = "Deal Stage", '
        'outcome = "Deal Stage" }\n'
        '[inputs.leads]\npath = "leads.csv"\n'
        'columns = { lead_id = "Id", created_at = "Signed up", signup_at = "Signed up" }\n'
    )
    config = load_config(write(tmp_path, text))
    assert config.inputs["opportunities"].columns["outcome"] == "Deal Stage"
    assert config.inputs["leads"].columns["signup_at"] == "Signed up"


def test_a_company_toml_that_is_a_folder_is_called_a_folder(tmp_path):
    # company.toml exists, as a folder: "There is no company.toml" sent the analyst looking
    # for a missing file.
    (tmp_path / "company.toml").mkdir()
    with pytest.raises(ConfigError) as exc:
        load_config(tmp_path)
    assert [p.message for p in exc.value.problems] == [
        f"{tmp_path / 'company.toml'} is a folder, not a file: company.toml must be a text file."
    ]
