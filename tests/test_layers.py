"""The README's layers, enforced: every import in `app/`, at the top of a module or inside a
function, read from the source (no module is run), checked against what its layer may import.

workloads -> engine -> stats -> gui (and cli beside gui). Only the GUI wing holds Qt, pyqtgraph and
numpy: a worker process imports the workload and the engine, and nothing heavy comes with them.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

APP = Path(__file__).resolve().parent.parent / "app"

GUI_ONLY = ("PySide6", "shiboken6", "pyqtgraph", "numpy")
ABOVE_STATS = ("app.gui", "app.cli")


@dataclass(frozen=True)
class Rule:
    package: str  # the layer, e.g. "app.engine"
    forbidden: tuple[str, ...]  # modules it may not import, with everything under them
    why: str
    standard_library_only: bool = False  # besides its own package


RULES = (
    Rule(
        "app.workloads",
        GUI_ONLY,
        "workloads import only the standard library",
        standard_library_only=True,
    ),
    Rule(
        "app.engine",
        (*GUI_ONLY, "app.stats", "app.control", "app.lessons", *ABOVE_STATS),
        "the engine imports no Qt, pyqtgraph or numpy, and nothing from the layers above it",
    ),
    Rule(
        "app.stats",
        (*GUI_ONLY, *ABOVE_STATS),
        "stats import no Qt, pyqtgraph or numpy, and nothing from app.gui or app.cli",
    ),
    Rule(
        "app.control",
        (*GUI_ONLY, *ABOVE_STATS),
        "the controller is Qt-free: no Qt, pyqtgraph or numpy, nothing from app.gui or app.cli",
    ),
    Rule(
        "app.lessons",
        (*GUI_ONLY, *ABOVE_STATS),
        "lessons are Qt-free data: no Qt, pyqtgraph or numpy, nothing from app.gui or app.cli",
    ),
    Rule("app.gui", ("app.cli",), "the GUI never imports the command line"),
)

IMPORT_FUNCTIONS = {"import_module", "__import__"}  # importlib.import_module("x"), __import__("x")


def module_name(path: Path, root: Path) -> str:
    """app/stats/numbers.py -> app.stats.numbers; app/stats/__init__.py -> app.stats."""
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_in(source: str, module: str, is_package: bool = False) -> list[tuple[int, str]]:
    """(line, module) for every import in `source`, anywhere in it, relative ones made absolute.
    `from a import b` counts as importing `a.b`, since b may be a module."""
    package = module if is_package else module.rpartition(".")[0]
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            found.append((node.lineno, base))
            found += [(node.lineno, f"{base}.{alias.name}") for alias in node.names]
        elif (
            isinstance(node, ast.Call)
            and _called_name(node.func) in IMPORT_FUNCTIONS
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            found.append((node.lineno, node.args[0].value))
    return found


def _called_name(func: ast.expr) -> str | None:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


def is_under(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


def is_standard_library(name: str) -> bool:
    return name.partition(".")[0] in sys.stdlib_module_names


def layer_problems(root: Path) -> list[str]:
    """'app/engine/run.py:12: imports app.stats (why)' for every import a layer may not make."""
    problems = []
    for path in sorted(root.rglob("*.py")):
        module = module_name(path, root)
        rule = next((r for r in RULES if is_under(module, r.package)), None)
        if rule is None:
            continue
        shown = path.relative_to(root.parent).as_posix()
        reported: list[tuple[int, str]] = []
        source = path.read_text(encoding="utf-8")
        for line, name in imports_in(source, module, path.name == "__init__.py"):
            bad = any(is_under(name, forbidden) for forbidden in rule.forbidden) or (
                rule.standard_library_only
                and not is_under(name, rule.package)
                and not is_standard_library(name)
            )
            # `from PySide6.QtCore import Qt` is one problem, not two.
            if bad and not any(at == line and is_under(name, r) for at, r in reported):
                reported.append((line, name))
                problems.append(f"{shown}:{line}: imports {name} ({rule.why})")
    return problems


def test_every_layer_imports_only_what_the_readme_allows():
    problems = layer_problems(APP)
    assert not problems, "layer rules broken:\n" + "\n".join(problems)


def test_the_rules_cover_every_package_with_code():
    packages = {module_name(p, APP) for p in APP.glob("*/__init__.py")}
    unruled = {p for p in packages if not any(is_under(p, r.package) for r in RULES)}
    assert not unruled, f"packages with no layer rule: {sorted(unruled)}"


# The checker itself, on a small planted tree: it must catch what it is there to catch.


def plant(tmp_path: Path, files: dict[str, str]) -> Path:
    root = tmp_path / "app"
    for name, source in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(source, encoding="utf-8")
    for package in {p.parent for p in root.rglob("*.py")}:
        (package / "__init__.py").touch()
    return root


CLEAN = {
    "workloads/primes.py": "from __future__ import annotations\n\nimport math\n"
    "from app.workloads.common import x\nfrom . import power\n",
    "engine/run.py": "import multiprocessing\nfrom app.workloads import WORKLOADS\n",
    "stats/numbers.py": "from app.engine.records import RunSummary\nfrom . import window\n",
    "gui/window.py": "import numpy\nfrom PySide6.QtCore import Qt\nfrom app.stats import x\n",
    "cli.py": "from app.gui import launch\n",
}


def test_the_checker_passes_a_clean_tree(tmp_path):
    assert layer_problems(plant(tmp_path, CLEAN)) == []


@pytest.mark.parametrize(
    ("path", "source", "says"),
    [
        pytest.param(
            "engine/run.py",
            "import os\n\n\ndef draw():\n    from PySide6 import QtCore\n",
            "app/engine/run.py:5: imports PySide6",
            id="Qt inside a function of the engine",
        ),
        pytest.param(
            "stats/numbers.py",
            "import numpy as np\n",
            "app/stats/numbers.py:1: imports numpy",
            id="numpy in stats",
        ),
        pytest.param(
            "workloads/primes.py",
            "import math\nimport psutil\n",
            "app/workloads/primes.py:2: imports psutil (workloads import only the standard",
            id="a third-party package in a workload",
        ),
        pytest.param(
            "workloads/primes.py",
            "from app.engine import records\n",
            "app/workloads/primes.py:1: imports app.engine",
            id="the engine from a workload",
        ),
        pytest.param(
            "engine/run.py",
            "from ..stats import numbers\n",
            "app/engine/run.py:1: imports app.stats",
            id="stats from the engine, relatively",
        ),
        pytest.param(
            "stats/numbers.py",
            "from app import cli\n",
            "app/stats/numbers.py:1: imports app.cli",
            id="the cli from stats, as a name from app",
        ),
        pytest.param(
            "gui/window.py",
            "import app.cli\n",
            "app/gui/window.py:1: imports app.cli (the GUI never imports the command line)",
            id="the cli from the gui",
        ),
        pytest.param(
            "control/controller.py",
            "def f():\n    import importlib\n    return importlib.import_module('pyqtgraph')\n",
            "app/control/controller.py:3: imports pyqtgraph",
            id="pyqtgraph by name in a future controller",
        ),
        pytest.param(
            "lessons/gil.py",
            "from app.gui.history import COLUMNS, NO_BASELINE\n",
            "app/lessons/gil.py:1: imports app.gui.history",
            id="the gui from future lessons",
        ),
        pytest.param(
            "stats/__init__.py",
            "from .. import gui\n",
            "app/stats/__init__.py:1: imports app.gui",
            id="the gui from a package's __init__, relatively",
        ),
        pytest.param(
            "gui/window.py",
            "from app import cli, stats\n",
            "app/gui/window.py:1: imports app.cli",
            id="the cli from the gui, among other names",
        ),
        pytest.param(
            "engine/worker.py",
            "import shiboken6\n",
            "app/engine/worker.py:1: imports shiboken6",
            id="shiboken6 in the engine",
        ),
    ],
)
def test_the_checker_names_the_file_line_and_import_of_a_planted_bad_import(
    tmp_path, path, source, says
):
    root = plant(tmp_path, {**CLEAN, path: source})
    problems = layer_problems(root)
    assert len(problems) == 1, problems
    assert problems[0].startswith(says), problems


def test_each_backend_is_registered_under_its_own_name():
    from app.engine.backends import BACKENDS

    assert list(BACKENDS) == [BACKENDS[name].name for name in BACKENDS]


def fresh_python(code: str) -> str:
    """What `python -c CODE` prints: a fresh interpreter, as a cold run starts."""
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    return done.stdout


def test_a_run_on_processes_imports_no_other_backend():
    code = (
        "import sys; from app.engine import Run, RunConfig; "
        "Run(RunConfig(workload='power', tasks=4)); "
        "print(sorted(m for m in sys.modules if m.startswith('app.engine.backends.')))"
    )
    printed = fresh_python(code)
    assert printed.strip() == "['app.engine.backends.process_pool']"


def test_a_cold_run_asks_for_its_workers_before_it_loads_the_records():
    """The records are first needed when a worker says hello: loading them while the workers
    start (see app.engine.lazy) keeps them off a cold run's critical path."""
    code = (
        "import sys; from app.engine import Run, RunConfig; "
        "run = Run(RunConfig(workload='power', tasks=40)); "
        "before = 'app.engine.records' in sys.modules; run.start(); summary = run.wait(30); "
        "print(before, 'app.engine.records' in sys.modules, summary.completed)"
    )
    printed = fresh_python(code)
    assert printed.split() == ["False", "True", "40"]


def test_a_cold_run_reaches_its_ask_without_typing_or_ctypes():
    """Each costs a fresh process some 1.5 to 2 ms before it can ask for its workers."""
    code = (
        "import sys; from app.engine import Run, RunConfig; "
        "run = Run(RunConfig(workload='power', tasks=40)); "
        "print(sorted({'typing', 'ctypes', 'multiprocessing.sharedctypes'} & set(sys.modules)))"
    )
    printed = fresh_python(code)
    assert printed.strip() == "[]"


@pytest.mark.skipif(sys.platform == "win32", reason="multiprocessing's tracker is POSIX's")
def test_importing_the_engine_starts_the_resource_tracker_at_once():
    """So the tracker's own start-up overlaps the script's, not the workers' (see
    app.engine.spawning.start_resource_tracker)."""
    code = (
        "import psutil, time; from app.engine import Run; time.sleep(0.2); "  # its exec is done
        "print([' '.join(p.cmdline()) for p in psutil.Process().children()])"
    )
    printed = fresh_python(code)
    assert "multiprocessing.resource_tracker import main" in printed


def test_a_lazy_module_read_first_by_two_threads_at_once_is_one_module():
    import threading

    from app.engine.lazy import LazyModule

    lazy = LazyModule("json.tool")  # not imported by anything here before
    seen: list = []
    barrier = threading.Barrier(2)

    def read() -> None:
        barrier.wait()
        seen.append(lazy.main)

    threads = [threading.Thread(target=read) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert len(seen) == 2 and seen[0] is seen[1] is sys.modules["json.tool"].main
