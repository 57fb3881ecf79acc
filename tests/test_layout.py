"""The package's layout: data flows one way, and every sub-package says what it is.

Layers, bottom to top (a module may import its own layer and the ones below it):

    exceptions < registry, params, resources, format, values, processes, _codes, _command, _memory, _store < inputs
    < metrics < kpis < deck < render < pack < portfolio < cli, serve, __main__

``demo`` sits beside the chain: it may import anything, and only ``cli`` imports it.
Every import counts, including those inside functions.
"""

from __future__ import annotations

import ast
import importlib
import re
import textwrap
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "reportlib"

LAYERS: list[set[str]] = [
    {"exceptions", ""},  # "" is the package root (reportlib/__init__: version, exceptions)
    {
        "registry",
        "params",
        "resources",
        "format",
        "values",
        "processes",
        "_codes",
        "_command",
        "_csvfiles",
        "_memory",
        "_store",
        "_terminal",
    },
    {"inputs"},
    {"metrics"},
    {"kpis"},
    {"deck"},
    {"render"},
    {"pack", "session", "watch"},
    {"portfolio"},
    {"cli", "__main__", "serve"},
]
BESIDE = "demo"

#: Imports inside functions that stay there, and why (anything else goes to the module top).
LAZY_ALLOWED = {
    ("reportlib/cli.py", "*"): "each verb imports its module when it runs: `reportlib --help` stays ~1 s, not ~7 s",
    ("reportlib/serve.py", "*"): (
        "the command's half runs before anything heavy is imported: a served `reportlib pack` starts in"
        " ~0.2 s; the server's half imports the library once, when it starts"
    ),
    (
        "reportlib/__main__.py",
        "reportlib",
    ): (
        "reportlib.cli: a pack the folder's server makes never imports pandas or click; reportlib.render.ahead"
        " (concurrent.futures): only for a pack made here"
    ),
    **{
        ("reportlib/_memory.py", top): (
            "the command imports this module before numpy and pyarrow, to start faulting in a large"
            " company's heap on the second core while it imports them (warm_heap_for)"
        )
        for top in ("numpy", "pyarrow")
    },
    ("reportlib/portfolio/_exec.py", "distributed"): "optional backend, ~1 s to import, only with --scheduler",
    ("reportlib/render/ahead.py", "reportlib"): (
        "reportlib.render.run (papermill, jupyter_client): imported by the forked worker that warms a"
        " kernel, while the command, which forked it first, imports the library"
    ),
    **{
        (path, "reportlib"): (
            "reportlib.render.export (nbconvert, pypdf: 0.3 s of CPU to import) loads when the first"
            " section is printed (a session: when it first prints), not at the start of a pack, when"
            " its kernel warms ahead on the other core and both cores are busy"
        )
        for path in ("reportlib/pack.py", "reportlib/session.py")
    },
    ("reportlib/render/run.py", "reportlib"): (
        "reportlib.render._kernel and _papermill (jupyter_client, papermill, nbclient: 0.3 s of CPU to"
        " import) load in the process that runs a section or warms a kernel; the pack's own process"
        " only hands sections to its pool"
    ),
    ("reportlib/render/_kernel.py", "reportlib"): (
        "reportlib.render._papermill (papermill, nbclient, nbformat: 0.2 s) is imported once the kernel"
        " is launched, while it boots, not before: a kernel warmed ahead starts 0.17 s sooner"
    ),
    ("reportlib/render/reuse.py", "nbformat"): (
        "its schema validator costs 0.04 s to import: only a notebook older than version 4 needs it"
    ),
    ("reportlib/inputs/_readers.py", "openpyxl"): (
        "0.2 s of CPU to import, needed only for a sheet calamine leaves to it (formulas, odd cells):"
        " the section kernels, which unpickle a company, and most packs never load it"
    ),
    ("reportlib/deck/_style.py", "matplotlib"): (
        "the pack's own process reads the theme for the page CSS and draws nothing: 0.2 s of every pack"
        " command; the kernels, which draw, have it loaded"
    ),
    **{
        (path, "duckdb"): (
            "the transform layer's engine, 0.1 s to import: loaded when an input has a transform or a"
            " source; a section kernel, which unpickles the company, never runs one"
        )
        for path in ("reportlib/inputs/_transform.py", "reportlib/inputs/sources/_base.py")
    },
    **{
        ("reportlib/deck/_reads.py", top): (
            "the kernel's own folders, worked out only in a kernel (where these are loaded); the pack's"
            " process reads this module to check a stored section and would pay 0.4 s to import them"
        )
        for top in ("matplotlib", "IPython", "jupyter_core")
    },
}
#: Files of other branches still to be cleaned (issue 9): the lead empties this list after the merge.
LAZY_PENDING: set[str] = set()


def _module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imported(node: ast.Import | ast.ImportFrom, module: str, is_package: bool) -> list[str]:
    """Absolute dotted names an import statement pulls in (``from a import b`` gives
    ``a.b``, which is a module or, harmlessly, a name inside ``a``)."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    base = node.module or ""
    if node.level:
        package = module.split(".") if is_package else module.split(".")[:-1]
        package = package[: len(package) - (node.level - 1)]
        base = ".".join(package + ([base] if base else []))
    return [f"{base}.{alias.name}" if base else alias.name for alias in node.names]


def _component(dotted: str, root: Path) -> str | None:
    """The layer key of a name in the package: ``reportlib.deck.charts`` -> ``deck``,
    ``reportlib.__version__`` -> ``""`` (the package root); None outside the package."""
    parts = dotted.split(".")
    if parts[0] != root.name:
        return None
    if len(parts) == 1 or not ((root / parts[1]).is_dir() or (root / f"{parts[1]}.py").is_file()):
        return ""
    return parts[1]


def _layer(component: str) -> int | None:
    for index, names in enumerate(LAYERS):
        if component in names:
            return index
    return None


def imports_of(root: Path):
    """``(file, line, importing module, imported name, inside a function)`` for every import."""
    for path in sorted(root.rglob("*.py")):
        module = _module_name(path, root)
        tree = ast.parse(path.read_text(encoding="utf-8"))
        inside = {
            id(sub)
            for fn in ast.walk(tree)
            if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef))
            for sub in ast.walk(fn)
            if isinstance(sub, (ast.Import, ast.ImportFrom))
        }
        for node in ast.walk(tree):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                for name in _imported(node, module, path.name == "__init__.py"):
                    yield path, node.lineno, module, name, id(node) in inside


def layer_violations(root: Path) -> list[str]:
    """Every import of a module from a layer above the importer's, and every import of demo
    from outside demo and cli."""
    problems = []
    for path, line, module, name, _ in imports_of(root):
        target = _component(name, root)
        source = _component(module, root)
        if target is None or source is None or target == source:
            continue
        where = f"{path.relative_to(root.parent)}:{line}: {module} imports {name}"
        if target == BESIDE:
            if source not in ("cli", BESIDE):
                problems.append(f"{where} (nothing but cli imports {BESIDE})")
            continue
        if source == BESIDE:
            continue
        have, want = _layer(source), _layer(target)
        if have is None or want is None:
            unknown = source if have is None else target
            problems.append(f"{where} ({unknown!r} is in no layer: add it to LAYERS)")
        elif want > have:
            problems.append(f"{where} ({target} is above {source})")
    return problems


def test_no_module_imports_from_a_layer_above_it() -> None:
    assert layer_violations(PACKAGE) == []


def _fake_package(tmp_path: Path, files: dict[str, str]) -> Path:
    root = tmp_path / "reportlib"
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    return root


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        # metrics reaching up to the pack, inside a function (the hidden kind)
        (
            {
                "__init__.py": "",
                "metrics/__init__.py": "",
                "pack.py": "",
                "metrics/grid.py": "def f():\n    from reportlib.pack import build_pack\n",
            },
            [
                "reportlib/metrics/grid.py:2: reportlib.metrics.grid imports reportlib.pack.build_pack (pack is above metrics)"
            ],
        ),
        # a relative import from inputs into kpis
        (
            {
                "__init__.py": "",
                "inputs/__init__.py": "",
                "kpis/__init__.py": "",
                "inputs/config.py": "from ..kpis import builder\n",
            },
            [
                "reportlib/inputs/config.py:1: reportlib.inputs.config imports reportlib.kpis.builder (kpis is above inputs)"
            ],
        ),
        # the product importing the demo generator
        (
            {"__init__.py": "", "kpis/__init__.py": "import reportlib.demo.generator\n", "demo/__init__.py": ""},
            [
                "reportlib/kpis/__init__.py:1: reportlib.kpis imports reportlib.demo.generator (nothing but cli imports demo)"
            ],
        ),
        # downward and sideways imports are fine
        (
            {
                "__init__.py": "",
                "cli.py": "from reportlib import demo, pack\nfrom reportlib.params import x\n",
                "deck/__init__.py": "from reportlib.deck import charts\nfrom reportlib.kpis import KpiResult\n",
                "demo/__init__.py": "from reportlib.pack import build_pack\n",
            },
            [],
        ),
    ],
)
def test_the_checker_catches_a_deliberate_violation(tmp_path: Path, files: dict[str, str], expected: list[str]) -> None:
    assert layer_violations(_fake_package(tmp_path, files)) == expected


def _subpackages(root: Path) -> list[Path]:
    """Every package under ``root`` (``inputs``, ``inputs/sources``, ...)."""
    return sorted(p.parent for p in root.rglob("__init__.py") if p.parent != root)


@pytest.mark.parametrize("package", _subpackages(PACKAGE), ids=lambda p: p.relative_to(PACKAGE).as_posix())
def test_every_subpackage_says_its_concern_and_its_public_names(package: Path) -> None:
    tree = ast.parse((package / "__init__.py").read_text(encoding="utf-8"))
    docstring = ast.get_docstring(tree)
    assert docstring and docstring.strip(), f"{package.name}/__init__.py has no docstring"
    concern = docstring.split("\n\n")[0]
    assert "\n" not in concern and len(concern) <= 100, f"{package.name}: the concern is not one line: {concern!r}"
    exported = [
        node.value
        for node in tree.body
        if (isinstance(node, ast.Assign) and any(getattr(t, "id", "") == "__all__" for t in node.targets))
        or (isinstance(node, ast.AnnAssign) and getattr(node.target, "id", "") == "__all__")
    ]
    assert exported, f"{package.name}/__init__.py has no explicit __all__"
    names = ast.literal_eval(exported[0])  # a literal list (empty: the modules are the API)
    assert all(isinstance(n, str) for n in names) and len(names) == len(set(names))


def test_subpackage_all_names_exist() -> None:
    """``__all__`` names what the package really has."""
    for package in _subpackages(PACKAGE):
        module = importlib.import_module(_module_name(package / "__init__.py", PACKAGE))
        missing = [n for n in module.__all__ if not hasattr(module, n)]
        assert missing == [], f"{module.__name__}.__all__ names {missing}"


def test_imports_inside_functions_only_where_justified() -> None:
    """Imports sit at the module top; the exceptions are listed with their reason."""
    found = []
    for path, line, _module, name, inside in imports_of(PACKAGE):
        rel = path.relative_to(PACKAGE.parent).as_posix()
        if not inside or rel in LAZY_PENDING or (rel, "*") in LAZY_ALLOWED:
            continue
        if (rel, name.split(".")[0]) not in LAZY_ALLOWED:
            found.append(f"{rel}:{line}: {name}")
    assert found == []


#: Names defined in more than one sub-package on purpose: name -> (the packages, why).
#: Keyed by package, not file, so that a module split inside a package changes nothing.
SAME_NAME_ALLOWED: dict[str, tuple[frozenset[str], str]] = {
    **{
        name: (
            frozenset({"metrics", "deck"}),
            "a chart is named after the metrics table it draws (charts.funnel draws metrics.funnel's "
            "table), as seaborn names a plot after what it shows; the notebooks call these names",
        )
        for name in ("arpa_drivers", "cohort_payback", "funnel", "funnel_cohorts", "revenue_tiers")
    },
    **{
        name: (
            frozenset({"params", "deck"}),
            "the notebooks' one-line accessor of a KpiResult's period over params' one implementation",
        )
        for name in ("period_label", "period_word")
    },
    **{
        name: (
            frozenset({"metrics", "demo"}),
            "the demo generator works on a numpy customers x months array and stays independent of "
            "metrics, so that the demo data is not produced by the code it checks",
        )
        for name in ("month_start", "movements")
    },
    "number": (
        frozenset({"format", "inputs"}),
        "inputs.sources._sql.number builds the SQL that reads a number cell; format.number writes one",
    ),
}


def definitions(root: Path) -> dict[str, list[str]]:
    """Public name -> the modules that define it with a top-level ``def`` or ``class``
    (imports and re-exports do not count)."""
    found: dict[str, list[str]] = {}
    for path in sorted(root.rglob("*.py")):
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and not node.name.startswith(
                "_"
            ):
                found.setdefault(node.name, []).append(_module_name(path, root))
    return found


def defined_twice(root: Path) -> list[str]:
    """Every public name defined in two modules, unless :data:`SAME_NAME_ALLOWED` says why."""
    problems = []
    for name, modules in definitions(root).items():
        if len(modules) < 2:
            continue
        packages = [_component(m, root) for m in modules]
        allowed = SAME_NAME_ALLOWED.get(name)
        if allowed and len(set(packages)) == len(packages) and set(packages) <= allowed[0]:
            continue
        problems.append(f"{name}: {', '.join(modules)}")
    return problems


def test_every_public_name_has_one_home() -> None:
    assert defined_twice(PACKAGE) == []


def test_the_one_home_check_catches_a_copy(tmp_path: Path) -> None:
    root = _fake_package(
        tmp_path,
        {
            "__init__.py": "",
            "params.py": "def period_label(as_of, months): ...\ndef parse_segment(text): ...\n",
            "deck/__init__.py": "",
            "deck/report.py": "from reportlib.params import parse_segment\ndef period_label(result): ...\n",
            # a second copy inside deck is not the notebooks' accessor the allow-list names
            "deck/_titles.py": "def period_label(result): ...\n",
            "inputs/__init__.py": "",
            "inputs/config.py": "def parse_segment(text): ...\nclass _Private: ...\n",
        },
    )
    assert defined_twice(root) == [
        "period_label: reportlib.deck._titles, reportlib.deck.report, reportlib.params",
        "parse_segment: reportlib.inputs.config, reportlib.params",
    ]


def test_architecture_page_lists_every_module():
    # docs/architecture.md is the map a new contributor reads first: a module it does not name
    # is a room nobody knows about. Each module is named by its path, or by its file name in
    # a row of its package.
    doc = (PACKAGE.parent / "docs" / "architecture.md").read_text(encoding="utf-8")
    rows = {line.split("|")[1].strip(" `"): line for line in doc.splitlines() if line.startswith("| `reportlib")}
    missing = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE.parent).as_posix()
        if path.name == "__init__.py" or rel in rows:
            continue
        folder = path.parent.relative_to(PACKAGE.parent).as_posix() + "/"
        package_row = " ".join(line for key, line in rows.items() if key.startswith(folder))
        if f"`{path.name}`" not in package_row and f"{path.stem}.py" not in package_row:
            missing.append(rel)
    assert missing == []


def documented_layers(doc: str) -> list[set[str]]:
    """The layers of docs/architecture.md's diagram, bottom first: its first code block, the
    layers separated by ``<`` (a parenthesis is a comment), up to the line of what is beside."""
    diagram = doc.partition("## Layers")[2].split("```")[1]
    chain = " ".join(line for line in diagram.splitlines() if ":" not in line.split("(")[0])
    chain = re.sub(r"\([^)]*\)", "", chain)
    return [{name.strip() for name in layer.split(",")} for layer in chain.split("<")]


def test_architecture_page_draws_the_layers_the_imports_are_checked_against():
    # the page's diagram is what a contributor follows; LAYERS is what this file enforces
    doc = (PACKAGE.parent / "docs" / "architecture.md").read_text(encoding="utf-8")
    assert documented_layers(doc) == [names - {""} for names in LAYERS]
    assert documented_layers("## Layers\n```\nexceptions\n  < a, b   (bottom)\n  < c < d\nz: beside\n```") == [
        {"exceptions"},
        {"a", "b"},
        {"c"},
        {"d"},
    ]


def _defined_twice(root: Path) -> list[str]:
    """'module: name' for every top-level function or class a module defines more than once
    (the later one silently replaces the earlier, as a merge of two branches can do)."""
    out = []
    for path in sorted(root.rglob("*.py")):
        names = [
            n.name
            for n in ast.parse(path.read_text(encoding="utf-8")).body
            if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
        ]
        out += [f"{path.relative_to(root.parent)}: {n}" for n in sorted({n for n in names if names.count(n) > 1})]
    return out


def test_no_module_defines_a_name_twice(tmp_path: Path) -> None:
    assert _defined_twice(PACKAGE) == []
    # the check itself catches a deliberate copy
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "m.py").write_text("def a(x):\n    return x\n\n\ndef a(x, y):\n    return y\n")
    assert _defined_twice(tmp_path / "pkg") == ["pkg/m.py: a"]
