"""fund.toml: branding (logo, colours, font), default north stars, the fund's section
notebooks, and a skip key that sees all of them."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import reportlib.pack as pack
from conftest import FIXTURES, chromium_available
from reportlib.cli import main
from reportlib.deck._style import Theme
from reportlib.exceptions import ConfigError
from reportlib.inputs import load_config
from reportlib.inputs.fund import find_fund, load_fund

needs_chromium = pytest.mark.skipif(
    not chromium_available() or not shutil.which("pdftoppm"), reason="no Chromium or poppler installed"
)
BUILT_IN = [p.name for p in pack.section_notebooks()]
PRIMARY = (0xC2, 0x18, 0x5B)  # a magenta no default colour comes near
LOGO = (0x00, 0xC8, 0xFF)  # a cyan, likewise

COMPANY = """\
[company]
name = "Fixture Co"
currency = "EUR"

[inputs.mrr]
path = "mrr.csv"
columns = { customer_id = "customer", month = "month", mrr = "mrr" }
"""
MRR = "customer,month,mrr\na,2026-07,100\na,2026-08,110\na,2026-09,120\nb,2026-07,50\nb,2026-08,50\nb,2026-09,60\n"


def _hex(rgb: tuple[int, int, int]) -> str:
    return "#" + "".join(f"{c:02X}" for c in rgb)


@pytest.fixture()
def portfolio(tmp_path: Path) -> Path:
    """A portfolio root: fund.toml, a logo, a sections folder and one company."""
    root = tmp_path / "portfolio"
    (root / "fixture-co").mkdir(parents=True)
    (root / "fixture-co" / "company.toml").write_text(COMPANY)
    (root / "fixture-co" / "mrr.csv").write_text(MRR)
    Image.new("RGB", (300, 120), LOGO).save(root / "logo.png")
    sections = root / "sections"
    sections.mkdir()
    shutil.copy(FIXTURES / "fund" / "07_runway.ipynb", sections)
    for name in BUILT_IN[1:]:  # keep the cover, remove the rest: a short pack
        (sections / name).write_text("")
    (root / "fund.toml").write_text(f"""\
[fund]
name = "Northwind Ventures II"
currency = "EUR"

[branding]
logo = "logo.png"
font = "DejaVu Serif"
colors = {{ primary = "{_hex(PRIMARY)}", accent = "#D9822B" }}

[kpis]
north_star = ["arr", "nrr", "grr"]

[notebooks]
path = "sections"
""")
    return root


def test_fund_settings_and_the_company_winning(portfolio: Path) -> None:
    fund = find_fund(portfolio / "fixture-co")
    assert fund.name == "Northwind Ventures II" and fund.logo == portfolio / "logo.png"
    theme = Theme.from_fund(fund)
    assert (theme.primary, theme.accent, theme.green) == ("#C2185B", "#D9822B", Theme().green)
    assert "--bp-primary: #C2185B" in theme.css() and theme.rc_params()["font.sans-serif"][0] == "DejaVu Serif"
    # no [kpis] in company.toml: the fund's north stars; with one, the company's
    assert load_config(portfolio / "fixture-co").north_star == ["arr", "nrr", "grr"]
    toml = portfolio / "fixture-co" / "company.toml"
    toml.write_text(COMPANY + '\n[kpis]\nnorth_star = ["arr", "customers", "arpa"]\n')
    assert load_config(portfolio / "fixture-co").north_star == ["arr", "customers", "arpa"]


def test_fund_sections_add_replace_and_remove(portfolio: Path) -> None:
    sections = pack.section_notebooks(custom=portfolio / "sections")
    assert [p.name for p in sections] == [BUILT_IN[0], "07_runway.ipynb"]
    shutil.copy(FIXTURES / "fund" / "07_runway.ipynb", portfolio / "sections" / BUILT_IN[1])  # replaces
    names = {p.name: p.parent for p in pack.section_notebooks(custom=portfolio / "sections")}
    assert names[BUILT_IN[1]] == portfolio / "sections" and names[BUILT_IN[0]] == pack.NOTEBOOKS_DIR


def test_a_wrong_fund_toml_lists_every_problem(tmp_path: Path) -> None:
    (tmp_path / "fund.toml").write_text(
        '[branding]\nlogo = "missing.png"\ncolours = {}\n'
        'colors = { primary = "blue", acent = "#000000" }\nfont = "x; } body {"\n'
        '[kpis]\nnorth_star = ["arrr"]\n'
    )
    with pytest.raises(ConfigError) as err:
        load_fund(tmp_path)
    text = str(err.value)
    for expected in (
        "branding.logo names",
        "branding.colours is not a setting of fund.toml. Did you mean 'colors'",
        "branding.colors.primary must be a colour",
        "Did you mean 'accent'",
        "branding.font must be",
        "'arrr' is not a KPI id. Did you mean 'arr'",
    ):
        assert expected in text, expected


def _colour_share(ppm: Path, rgb: tuple[int, int, int], box: tuple[float, float, float, float]) -> float:
    """Share of the pixels inside ``box`` (fractions x0, y0, x1, y1 of the page) within 40 of ``rgb``."""
    image = np.asarray(Image.open(ppm).convert("RGB")).astype(int)
    h, w, _ = image.shape
    x0, y0, x1, y1 = box
    part = image[int(y0 * h) : int(y1 * h), int(x0 * w) : int(x1 * w)]
    return float((np.abs(part - np.array(rgb)).sum(axis=2) < 40).mean())


@pytest.mark.chromium
@pytest.mark.notebooks
@pytest.mark.slow
@needs_chromium
def test_a_branded_pack_through_the_cli(portfolio: Path, tmp_path: Path, capsys) -> None:
    """Logo on the cover and in the footer, the fund's colour in headings and charts, the
    fund's added section; a changed fund.toml remakes the pack, an unchanged one is skipped."""
    out = tmp_path / "reports"
    assert main(["pack", str(portfolio / "fixture-co"), "--out", str(out)]) == 0
    folder = out / "fixture-co" / "2026-09"
    pdf = folder / "board-pack.pdf"
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "Runway outlook" in text
    subprocess.run(["pdftoppm", "-r", "30", str(pdf), str(tmp_path / "page")], check=True)
    pages = sorted(tmp_path.glob("page-*.ppm"))
    assert len(pages) == 2  # the cover and the runway section: the other sections were removed
    # the logo: top right of the cover (0.9 in high under a 0.45 in margin of a 7.5 in page),
    # bottom left of the other pages (0.28 in high, 0.16 in above the bottom edge)
    assert _colour_share(pages[0], LOGO, (0.6, 0.06, 0.96, 0.18)) > 0.2
    assert _colour_share(pages[0], LOGO, (0.0, 0.9, 0.3, 1.0)) == 0
    assert _colour_share(pages[1], LOGO, (0.0, 0.94, 0.2, 0.98)) > 0.2
    # the fund's primary colour: the heading and the bars of the added section
    assert _colour_share(pages[1], PRIMARY, (0.0, 0.1, 1.0, 0.95)) > 0.05
    manifest = json.loads((folder / "manifest.json").read_text())
    assert str(portfolio / "fund.toml") in manifest["fund"] and manifest["template"]

    capsys.readouterr()
    assert main(["pack", str(portfolio / "fixture-co"), "--out", str(out)]) == 0
    assert "unchanged" in capsys.readouterr().out
    (portfolio / "fund.toml").write_text((portfolio / "fund.toml").read_text().replace("#D9822B", "#D9822C"))
    assert main(["pack", str(portfolio / "fixture-co"), "--out", str(out)]) == 0
    assert "unchanged" not in capsys.readouterr().out
    assert main(["pack", str(portfolio / "fixture-co"), "--out", str(out), "--force"]) == 0
    assert "unchanged" not in capsys.readouterr().out
