"""A company folder written in tmp_path for the input tests, and the CLI's validate output."""

from __future__ import annotations

from pathlib import Path

from reportlib.cli import main


def make(tmp_path: Path, toml: str, files: dict[str, str | bytes], name: str = "acme") -> Path:
    """``company.toml`` (company section + ``toml``) and ``files`` (text or bytes) in a new folder."""
    folder = tmp_path / name
    folder.mkdir()
    (folder / "company.toml").write_text('[company]\nname = "Acme"\ncurrency = "EUR"\n' + toml)
    for fname, content in files.items():
        (folder / fname).parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            (folder / fname).write_bytes(content)
        else:
            (folder / fname).write_text(content)
    return folder


def validate_cli(folder: Path, capsys) -> tuple[int, str]:
    """``reportlib validate FOLDER``: exit code and everything printed (stdout + stderr)."""
    code = main(["validate", str(folder)])
    out = capsys.readouterr()
    return code, out.out + out.err


MRR_TOML = '[inputs.mrr]\npath = "{path}"\ncolumns = {{ customer_id = "Customer", month = "Month", mrr = "MRR" }}\n'
