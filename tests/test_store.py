"""The store (reportlib._store) and its use: the validated company (inputs/_cache.py) and the
KPI result (kpis/_cache.py) read back only when nothing they depend on changed.

Every test has its own store (conftest's autouse ``_own_cache``). A hit is proven by making
the work impossible (the loader or the KPI computation monkeypatched to fail); a miss by
counting the calls of the real one.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import time
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest
from inputs_helpers import make

import reportlib._store as store
import reportlib.inputs._cache as inputs_cache
import reportlib.inputs.company as company_module
import reportlib.kpis._cache as kpis_cache
import reportlib.kpis.builder as builder
from conftest import SALES_LED
from reportlib._store import CACHE_ENV, Mode, Store, cache_root, code_digest, digest
from reportlib.cli import main
from reportlib.deck.report import commentary_sections
from reportlib.exceptions import InputError
from reportlib.inputs import load_company, validate_company
from reportlib.kpis import compute_kpis, write_kpis
from reportlib.kpis.restatements import write_record
from reportlib.pack import _resolve_parameters, _validate

# Customers A and B from 2025-10 to 2026-03 (A: 100 a month, B: 50 a month, B ends 2026-01),
# C only in 2025-11 (one month, not the last: a load warning). Two files, one glob.
MRR_2025 = "Customer,Month,MRR\nA,2025-10,100\nA,2025-11,100\nA,2025-12,100\nB,2025-10,50\nB,2025-11,50\n"
MRR_2025 += "B,2025-12,50\nC,2025-11,30\n"
MRR_2026 = "Customer,Month,MRR\nA,2026-01,100\nA,2026-02,100\nA,2026-03,100\nB,2026-01,50\n"
TOML = (
    '[inputs.mrr]\npath = "mrr/*.csv"\n'
    'columns = { customer_id = "Customer", month = "Month", mrr = "MRR" }\n'
    'defaults = { plan = "Pro" }\n'
)
COMMENTARY = "# Acme\n\n## Highlights\n\nThe first words.\n"


@pytest.fixture
def acme(tmp_path: Path) -> Path:
    return make(
        tmp_path,
        TOML,
        {"mrr/2025.csv": MRR_2025, "mrr/2026.csv": MRR_2026, "commentary.md": COMMENTARY},
    )


@pytest.fixture
def loads(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """The folders really loaded (not read from the store), in order."""
    seen: list[Path] = []
    real = company_module._load

    def counted(folder, config, key, *defer_checks):
        seen.append(folder)
        return real(folder, config, key, *defer_checks)

    monkeypatch.setattr(company_module, "_load", counted)
    return seen


@pytest.fixture
def computes(monkeypatch: pytest.MonkeyPatch) -> list[tuple]:
    """The KPI computations really run (not read from the store): (segment, as_of)."""
    seen: list[tuple] = []
    real = builder._computed

    def counted(whole, seg, cmp_, as_of, window):
        seen.append((seg, as_of))
        return real(whole, seg, cmp_, as_of, window)

    monkeypatch.setattr(builder, "_computed", counted)
    return seen


def _fail(*args, **kwargs):
    raise AssertionError("the store was expected to answer")


def _entries(kind: str) -> list[Path]:
    return sorted((cache_root() / kind).glob("*.pkl"))


# -- the store itself ----------------------------------------------------------------------------
def test_store_round_trip_and_misses(tmp_path: Path) -> None:
    store = Store("things", root=tmp_path)
    assert store.get("nothing") is None
    assert store.put("k1", {"a": 1}) == {"a": 1}
    assert store.get("k1") == {"a": 1}
    assert not list(tmp_path.rglob("*.tmp"))  # written to a temporary file, renamed in place
    store.path("k1").write_bytes(b"not a pickle")  # corrupt
    assert store.get("k1") is None
    store.put("k2", list(range(1000)))
    store.path("k2").write_bytes(store.path("k2").read_bytes()[:20])  # truncated
    assert store.get("k2") is None


def test_store_unreadable_entry_is_a_miss(tmp_path: Path) -> None:
    # a pickle naming a class that does not exist (an entry written by other code)
    store = Store("things", root=tmp_path)
    store.path("k").parent.mkdir(parents=True)
    store.path("k").write_bytes(pickle.dumps(Path("x")).replace(b"PosixPath", b"NoSuchPath"))
    assert store.get("k") is None


def test_store_evicts_the_least_recently_used(tmp_path: Path) -> None:
    # three entries of 10,000 bytes (+ pickle framing) under a bound of 25,000: the oldest goes
    store = Store("things", root=tmp_path, max_bytes=25_000)
    for n, key in enumerate(("old", "mid")):
        store.put(key, b"x" * 10_000)
        os.utime(store.path(key), (1_000_000 + n, 1_000_000 + n))
    assert store.get("old") is not None  # a hit makes "old" the most recently used
    store.put("new", b"y" * 10_000)
    assert store.get("mid") is None
    assert store.get("old") is not None and store.get("new") is not None


def test_store_removes_a_dead_writers_temporary_file(tmp_path: Path) -> None:
    store = Store("things", root=tmp_path)
    store.put("k", 1)
    old, fresh = store.path("k").with_name(".k-old.tmp"), store.path("k").with_name(".k-new.tmp")
    for tmp in (old, fresh):
        tmp.write_bytes(b"half an entry")
    os.utime(old, (time.time() - 7200, time.time() - 7200))  # two hours ago: its writer is gone
    store.evict()  # the next scan of the store
    assert not old.exists() and fresh.exists() and store.get("k") == 1


def _count_scans(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    scans = [0]
    real = Store.evict

    def counted(self: Store) -> None:
        scans[0] += 1
        real(self)

    monkeypatch.setattr(Store, "evict", counted)
    return scans


def _counted_store(root: Path, bound: int, monkeypatch: pytest.MonkeyPatch) -> tuple[Store, list[int]]:
    """A store under ``root`` kept within ``bound`` bytes, and the count of its scans."""
    return Store("things", root=root, max_bytes=bound), _count_scans(monkeypatch)


def _as_another_process(monkeypatch: pytest.MonkeyPatch) -> None:
    """From now on this test is a process that has not scanned the store itself."""
    monkeypatch.setattr(store, "_scans", {})


def _room_for_two(root: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Store, list[int]]:
    """A store of 25,000 bytes holding "a" and "b" of 10,000 each: a third would pass the bound."""
    things, scans = _counted_store(root, 25_000, monkeypatch)
    things.put("a", b"x" * 10_000)
    things.put("b", b"x" * 10_000)
    return things, scans


def test_a_write_scans_the_store_once_a_minute_while_it_stays_within_its_bound(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a pack writes a dozen entries: one scan of the store (each stats every entry), not twelve
    things, scans = _counted_store(tmp_path, 1_000_000, monkeypatch)
    for n in range(12):
        things.put(f"k{n}", b"x" * 1_000)
    assert scans[0] == 1
    assert all(things.get(f"k{n}") is not None for n in range(12))
    # a minute later the next write scans again (another process may have written meanwhile)
    store._scans[tmp_path][0] -= store._RESCAN_SECONDS + 1  # the last scan, a minute ago
    _age_usage(tmp_path, store._RESCAN_SECONDS + 1)
    things.put("later", b"y")
    assert scans[0] == 2


def _age_usage(root: Path, seconds: float) -> None:
    """Make the root's record of its last scan ``seconds`` old."""
    usage = root / store._USAGE
    then = usage.stat().st_mtime - seconds
    os.utime(usage, (then, then))


def test_a_scan_by_another_process_in_the_last_minute_spares_the_next_ones(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # every command is a process of its own: its first write used to scan the whole store
    # (7,500 entries: 0.05 s); a scan records what it found at the root, and a process that
    # finds a record of the last minute counts from it instead
    things, scans = _counted_store(tmp_path, 1_000_000, monkeypatch)
    things.put("first", b"x" * 1_000)
    assert scans[0] == 1
    found = int((tmp_path / store._USAGE).read_text())
    assert found == things.path("first").stat().st_size

    _as_another_process(monkeypatch)  # the next command
    things.put("second", b"x" * 1_000)
    assert scans[0] == 1
    assert store._scans[tmp_path][1] == found + things.path("second").stat().st_size

    # a record a minute old, or one that cannot be read, is not trusted: the store is scanned
    _age_usage(tmp_path, store._RESCAN_SECONDS + 1)
    _as_another_process(monkeypatch)
    things.put("third", b"z")
    assert scans[0] == 2
    (tmp_path / store._USAGE).write_text("?")
    _as_another_process(monkeypatch)
    things.put("fourth", b"z")
    assert scans[0] == 3
    assert (tmp_path / store._USAGE).read_text() == str(sum(p.stat().st_size for p in tmp_path.rglob("*.pkl")))
    assert not list(tmp_path.glob(".usage-*.tmp"))  # the record is replaced whole, no leftover


def test_a_recorded_scan_near_the_bound_does_not_spare_a_write_that_may_pass_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    things, scans = _room_for_two(tmp_path, monkeypatch)
    things.evict()  # a scan records both
    assert scans[0] == 2
    _as_another_process(monkeypatch)  # the record says 20,000 and some
    os.utime(things.path("a"), (1_000_000, 1_000_000))
    things.put("c", b"x" * 10_000)  # the record and this write pass the bound: scan, evict "a"
    assert scans[0] == 3 and things.get("a") is None and things.get("c") is not None


def test_a_write_that_may_pass_the_bound_scans_and_evicts_at_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # entries of 10,000 bytes under a bound of 25,000: "a" and "b" fit (one scan, the first
    # write's); "c" may pass the bound, so its write scans at once and evicts "a", the least
    # recently used
    things, scans = _room_for_two(tmp_path, monkeypatch)
    assert scans[0] == 1  # 2 x 10,000 and their framing: within the bound
    os.utime(things.path("a"), (1_000_000, 1_000_000))
    things.put("c", b"x" * 10_000)
    assert scans[0] == 2
    assert things.get("a") is None and things.get("b") is not None and things.get("c") is not None
    on_disk = sum(p.stat().st_size for p in tmp_path.rglob("*.pkl"))
    assert on_disk <= 25_000 and store._scans[tmp_path][1] == on_disk


def test_cache_root(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "mine"))
    assert cache_root() == tmp_path / "mine"
    monkeypatch.delenv(CACHE_ENV)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_root() == tmp_path / "xdg" / "reportlib"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert cache_root() == tmp_path / "home" / ".cache" / "reportlib"


def test_digest_separates_its_parts() -> None:
    assert digest("ab", "c") != digest("a", "bc")
    assert digest(("x", 1)) == digest(("x", 1))
    assert len(code_digest()) == 64


# -- the validated company -------------------------------------------------------------------------
def test_company_hit_does_not_load(acme: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first = load_company(acme, cache=Mode.USE)
    monkeypatch.setattr(company_module, "_load", _fail)
    again = load_company(acme, cache=Mode.USE)
    pd.testing.assert_frame_equal(again.frames["mrr"], first.frames["mrr"])
    assert again.warnings == first.warnings and again.sources == first.sources
    assert again.digest == first.digest != ""


def test_off_and_refresh(acme: Path, loads: list[Path]) -> None:
    load_company(acme)  # Mode.OFF by default: nothing stored
    assert _entries("inputs") == []
    load_company(acme, cache=Mode.REFRESH)
    load_company(acme, cache=Mode.REFRESH)  # --force: loads again, stores the fresh one
    assert len(loads) == 3 and len(_entries("inputs")) == 1
    load_company(acme, cache=Mode.USE)
    assert len(loads) == 3


@pytest.mark.parametrize(
    "change",
    ["one byte of an input", "company.toml", "a new file matching the glob", "fund.toml", "the code"],
)
def test_company_misses_when_what_it_depends_on_changes(
    change: str, acme: Path, loads: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    before = load_company(acme, cache=Mode.USE)
    if change == "one byte of an input":
        (acme / "mrr" / "2026.csv").write_text(MRR_2026.replace("A,2026-03,100", "A,2026-03,101"))
    elif change == "company.toml":
        (acme / "company.toml").write_text((acme / "company.toml").read_text().replace('"Pro"', '"Team"'))
    elif change == "a new file matching the glob":
        (acme / "mrr" / "2026b.csv").write_text("Customer,Month,MRR\nD,2026-03,70\n")
    elif change == "fund.toml":
        (acme.parent / "fund.toml").write_text('[kpis]\nnorth_star = ["arr", "nrr", "mrr"]\n')
    else:
        monkeypatch.setattr(inputs_cache, "code_digest", lambda: "edited")
    after = load_company(acme, cache=Mode.USE)
    assert len(loads) == 2 and after.digest != before.digest
    mrr = after.frames["mrr"]
    if change == "one byte of an input":
        assert mrr.loc[mrr["customer_id"].eq("A"), "mrr"].sum() == 601  # 5 x 100 + 101
    elif change == "company.toml":
        assert set(mrr["plan"]) == {"Team"}
    elif change == "a new file matching the glob":
        assert "D" in set(mrr["customer_id"])
    elif change == "fund.toml":
        assert after.config.north_star == ["arr", "nrr", "mrr"]


def test_commentary_is_not_an_input(acme: Path, loads: list[Path], computes: list[tuple]) -> None:
    result = compute_kpis(load_company(acme, cache=Mode.USE), cache=Mode.USE)
    assert commentary_sections(result)["highlights"] == "The first words."
    (acme / "commentary.md").write_text(COMMENTARY.replace("The first words.", "Words written since."))
    again = compute_kpis(load_company(acme, cache=Mode.USE), cache=Mode.USE)
    assert len(loads) == 1 and len(computes) == 1  # both read back
    # what the notebooks show (deck.report reads the company folder's commentary at run time)
    assert commentary_sections(again)["highlights"] == "Words written since."


def test_corrupt_entry_is_a_silent_miss(acme: Path, loads: list[Path]) -> None:
    first = load_company(acme, cache=Mode.USE)
    for entry in _entries("inputs"):
        entry.write_bytes(b"\x80\x05garbage")
    again = load_company(acme, cache=Mode.USE)
    assert len(loads) == 2
    pd.testing.assert_frame_equal(again.frames["mrr"], first.frames["mrr"])
    load_company(acme, cache=Mode.USE)  # the fresh entry replaced the corrupt one
    assert len(loads) == 2


def test_warnings_are_replayed_on_a_hit(acme: Path, loads: list[Path], capsys: pytest.CaptureFixture) -> None:
    cold = validate_company(acme, cache=Mode.USE)
    warm = validate_company(acme, cache=Mode.USE)
    assert len(loads) == 1
    assert any("only one month" in w.message for w in cold.warnings)  # customer C
    assert warm.warnings == cold.warnings and warm.render() == cold.render()
    # the CLI prints the same report on a hit
    assert main(["validate", str(acme)]) == 0
    first = capsys.readouterr().out
    assert main(["validate", str(acme)]) == 0
    assert capsys.readouterr().out == first and "only one month" in first


def test_nothing_is_stored_when_the_inputs_have_errors(acme: Path, loads: list[Path]) -> None:
    (acme / "mrr" / "2026.csv").write_text(MRR_2026.replace("A,2026-03,100", "A,2026-03,lots"))
    for _ in range(2):
        with pytest.raises(InputError, match="lots"):
            load_company(acme, cache=Mode.USE)
    assert len(loads) == 2 and _entries("inputs") == []


# -- the KPI result ----------------------------------------------------------------------------------
def test_kpi_hit_does_not_compute(acme: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    company = load_company(acme, cache=Mode.USE)
    first = compute_kpis(company, as_of="2026-03", cache=Mode.USE)
    monkeypatch.setattr(builder, "_computed", _fail)
    again = compute_kpis(load_company(acme, cache=Mode.USE), as_of="2026-03", cache=Mode.USE)
    pd.testing.assert_frame_equal(again.kpis, first.kpis)
    assert again.tables.keys() == first.tables.keys()
    for name, table in first.tables.items():
        pd.testing.assert_frame_equal(again.tables[name], table)
    assert again.narrative == first.narrative and again.company.path == acme
    # MRR of 2026-03 is A's 100 alone (B ended in 2026-01): the stored number, not a stale one
    assert again.value("mrr") == first.value("mrr") == 100


@pytest.mark.parametrize(
    "other",
    [{"as_of": "2026-02"}, {"segment": "plan=Pro"}, {"window": "month"}, {"code": True}, {"input": True}],
)
def test_kpi_misses_when_a_parameter_changes(
    other: dict, acme: Path, computes: list[tuple], monkeypatch: pytest.MonkeyPatch
) -> None:
    compute_kpis(load_company(acme, cache=Mode.USE), as_of="2026-03", cache=Mode.USE)
    if other.pop("code", False):
        monkeypatch.setattr(kpis_cache, "code_digest", lambda: "edited")
    if other.pop("input", False):
        (acme / "mrr" / "2026.csv").write_text(MRR_2026.replace("A,2026-03,100", "A,2026-03,90"))
    params = {"as_of": "2026-03", **other}
    result = compute_kpis(load_company(acme, cache=Mode.USE), cache=Mode.USE, **params)
    assert len(computes) == 2
    if params["as_of"] == "2026-03" and "segment" not in other and "window" not in other:
        assert result.value("mrr") in (100, 90)  # the code changed (100) or A's March did (90)


def test_policies_replaced_after_loading_are_another_key(acme: Path, computes: list[tuple]) -> None:
    # restatements recompute with an earlier pack's policies on the same loaded company
    company = load_company(acme, cache=Mode.USE)
    compute_kpis(company, cache=Mode.USE)
    other = replace(
        company, config=replace(company.config, policies=replace(company.config.policies, cac_lag_months=2))
    )
    compute_kpis(other, cache=Mode.USE)
    assert len(computes) == 2


def test_outputs_are_byte_identical_cold_and_warm(tmp_path: Path) -> None:
    """kpis.csv, the tables and the row record of a demo company: written from a fresh
    computation (cold, ``--force``: stored), then from the store (warm)."""
    folders = {}
    for mode in (Mode.REFRESH, Mode.USE):
        company = load_company(SALES_LED, cache=mode)
        result = compute_kpis(company, as_of="2026-09", cache=mode)
        folders[mode] = write_kpis(result, tmp_path / mode.value, workbook=False, cache=mode)
        write_record(company, folders[mode], mode)
    assert _entries("kpis") and _entries("kpis-csv") and _entries("record")

    def files(folder: Path) -> dict[str, bytes]:
        return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}

    cold = files(folders[Mode.REFRESH])
    assert "kpis.csv" in cold and "tables/mrr_bridge.csv" in cold and "_inputs/fingerprint.csv" in cold
    assert files(folders[Mode.USE]) == cold


def test_workbook_of_a_stored_result_is_copied_not_built(acme: Path, tmp_path: Path, monkeypatch) -> None:
    result = compute_kpis(load_company(acme, cache=Mode.USE), as_of="2026-03", cache=Mode.USE)
    built = []
    write = builder.write_workbook
    monkeypatch.setattr(builder, "write_workbook", lambda *a, **k: built.append(1) or write(*a, **k))
    cold = builder.write_kpis_workbook(result, tmp_path / "cold", cache=Mode.USE).read_bytes()
    assert built == [1] and len(_entries("kpis-xlsx")) == 1
    warm = builder.write_kpis_workbook(result, tmp_path / "warm", cache=Mode.USE).read_bytes()
    assert built == [1] and warm == cold  # copied from the store, byte for byte
    (tmp_path / "warm" / "kpis.xlsx").write_bytes(b"an older workbook")
    builder.write_kpis_workbook(result, tmp_path / "warm", cache=Mode.USE)
    assert (tmp_path / "warm" / "kpis.xlsx").read_bytes() == cold  # an older file is replaced
    # a table added after the computation (restatements from an earlier pack) is another key
    restated = replace(result, tables={**result.tables, "restatements": pd.DataFrame({"kpi": ["mrr"]})})
    builder.write_kpis_workbook(restated, tmp_path / "restated", cache=Mode.USE)
    assert built == [1, 1] and len(_entries("kpis-xlsx")) == 2
    builder.write_kpis_workbook(result, tmp_path / "off", cache=Mode.OFF)  # --no-cache: built
    assert built == [1, 1, 1]


# -- where the store is used: the pack and the CLI --------------------------------------------------
def test_pack_modes(acme: Path, loads: list[Path]) -> None:
    def request(force: bool, cache: bool = True):
        return _resolve_parameters(
            acme, None, "quarter", None, None, acme.parent / "out", 1, force, None, None, None, cache
        )

    use, forced, off = request(False), request(True), request(False, cache=False)
    assert (use.cache, forced.cache, off.cache) == (Mode.USE, Mode.REFRESH, Mode.OFF)
    company, as_of = _validate(use)
    _validate(use)
    assert len(loads) == 1 and as_of == "2026-03" and company.digest
    _validate(forced)  # --force: a clean rebuild (stored for the next run)
    _validate(off)  # --no-cache
    assert len(loads) == 3


def test_cli_kpis_no_cache(acme: Path, tmp_path: Path) -> None:
    assert main(["kpis", str(acme), "--out", str(tmp_path / "a"), "--no-cache"]) == 0
    assert _entries("inputs") == [] and _entries("kpis") == []
    assert main(["kpis", str(acme), "--out", str(tmp_path / "b")]) == 0
    assert len(_entries("inputs")) == 1 and len(_entries("kpis")) == 1


def test_a_file_digest_is_kept_while_the_file_is_unchanged_and_only_once_it_settled(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "mrr.csv"
    path.write_bytes(b"customer,month,mrr\na,2026-01,100\n")
    sha = hashlib.sha256(path.read_bytes()).hexdigest()
    assert store.file_digest(path) == sha
    assert str(path) not in store._DIGESTS  # just written: its stat may not show the next write

    monkeypatch.setattr(store, "_SETTLED", 0.0)
    assert store.file_digest(path) == sha and store._DIGESTS[str(path)][1] == sha
    store._DIGESTS[str(path)] = (store._DIGESTS[str(path)][0], "kept")
    assert store.file_digest(path) == "kept"  # the same stat: read from memory, not hashed
    before = path.stat().st_mtime_ns
    path.write_bytes(b"customer,month,mrr\na,2026-01,250\n")  # same size
    os.utime(path, ns=(before + 10**9, before + 10**9))  # its new time (a write's, past a coarse clock tick)
    assert store.file_digest(path) == hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_stored_pair_of_another_shape_is_made_again(tmp_path):
    """fetch's ``is_pair`` check: an entry of another shape (older code) is not returned."""
    valid = store.is_pair(pd.DataFrame, bytes)
    assert valid((pd.DataFrame(), b"x"))
    assert not valid((pd.DataFrame(), "x")) and not valid([pd.DataFrame(), b"x"]) and not valid((b"x",))
    shelf = Store("pairs")
    shelf.put("k", ("old", "shape"))
    made = shelf.fetch("k", Mode.USE, lambda: (pd.DataFrame({"a": [1]}), b"new"), valid)
    assert made[1] == b"new" and shelf.fetch("k", Mode.USE, lambda: pytest.fail("made twice"), valid)[1] == b"new"
