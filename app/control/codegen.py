"""The code behind a run: a short, runnable Python script that does what a `RunConfig` does.

`script_for(config)` writes the script a student could type to run the same job without the
app: the workload's function with the inputs made the same way the engine makes them, the
`if __name__ == "__main__":` guard, the start method, `Pool(workers)` or `ThreadPool` or a
plain loop, `map` with the chunksize, the time it took, and `print(results)` at the end.

The workload's module is copied into the script (`inspect.getsource`), not imported from the
app: the script then needs nothing but the standard library, so a student can run it on any
computer with Python, and every line that runs is there to read. The copy is the app's own
source, so it cannot drift from what the engine runs. No Qt here: the window and the command
line (`python -m app code`) print the same text.
"""

from __future__ import annotations

import ast
import inspect
import math
import re
import textwrap
from functools import lru_cache

from app.engine.backends import BACKENDS
from app.engine.config import RunConfig
from app.workloads import WORKLOADS

LINE_WIDTH = 96  # a long list of inputs is wrapped to this many characters
BIGGEST_PRINTABLE_DIGITS = 4_300  # Python's default limit on int-to-text conversion


class ScriptUnavailable(ValueError):
    """There is no script for this run (an executor the generator does not know)."""


def script_file_name(config: RunConfig) -> str:
    """A name to save the script under, e.g. "primes_process.py" (never a stdlib module's)."""
    return f"{config.workload}_{config.executor}.py"


def script_for(config: RunConfig) -> str:
    """The whole script for this run, as text that ends with a newline."""
    writers = {
        "process": _process_pool,
        "futures": _futures_pool,
        "dask": _dask_cluster,
        "thread": _thread_pool,
        "serial": _plain_loop,
    }
    writer = writers.get(config.executor)
    if writer is None:
        label = BACKENDS[config.executor].label if config.executor in BACKENDS else "this"
        raise ScriptUnavailable(f"no script for the {label} executor yet")
    workload = WORKLOADS[config.workload]
    func = workload.func.__name__
    module = inspect.getmodule(workload.func)
    imports, body = _module_parts(module, keep_make_inputs=config.inputs is None)
    run_lines, needs = writer(config, func)
    imports = sorted({*imports, *needs, "import time"}, key=_import_order)
    if _needs_whole_ints(config):
        imports = sorted({*imports, "import sys"}, key=_import_order)
    main = [
        'if __name__ == "__main__":',
        *_indent(_guard_comment(config)),
        *_indent(_inputs_lines(config)),
        *_indent(_whole_ints_lines(config)),
        *_indent(run_lines),
        "    elapsed = time.perf_counter() - started",
        '    print(f"{len(results)} results in {elapsed:.3f} s")',
        "    print(results)",
    ]
    module_path = module.__name__.replace(".", "/") + ".py"
    parts = [
        _docstring(config),
        "\n".join(imports),
        f"# The task, copied from the playground's {module_path}.\n{body}",
        "\n".join(main),
    ]
    return parts[0] + "\n\n" + "\n\n\n".join(parts[1:]) + "\n"


# -- the parts of the script -----------------------------------------------------------------


def _docstring(config: RunConfig) -> str:
    backend = BACKENDS[config.executor]
    tasks = f"{config.task_count:,} {config.workload} task{'s' if config.task_count != 1 else ''}"
    if backend.one_worker:
        how = "one after another in one process"
    else:
        how = f"on {backend.describe(config)}"
    if backend.one_worker:
        chunks = "no chunks"
    elif config.chunksize == 0:
        chunks = "chunks sized by Pool.map"
    else:
        chunks = f"chunksize {config.chunksize}"
    summary = f"The same run as in Multiprocessing Playground: {tasks} {how}, {chunks}."
    if config.until_stopped:
        summary += " The playground sends them round after round until Stop; this is one round."
    lines = textwrap.wrap(summary, LINE_WIDTH - 3)
    lines[0] = '"""' + lines[0]
    return "\n".join(
        [*lines, "", f"{_needs(config)} Save it and run: python {script_file_name(config)}"]
        + ['"""']
    )


def _needs(config: RunConfig) -> str:
    if config.executor == "dask":
        return 'Needs Dask: pip install "dask[distributed]".'
    return "Standard library only."


def _guard_comment(config: RunConfig) -> list[str]:
    if config.executor in ("process", "futures", "dask"):
        return [
            "# The guard matters: a spawned (or forkserver) worker starts a new Python that",
            "# imports this file; without it, each worker would start a pool of its own.",
        ]
    return []


def _inputs_lines(config: RunConfig) -> list[str]:
    if config.inputs is None:
        return [f"inputs = make_inputs({config.task_count:_})"]
    text = "inputs = " + repr(list(config.inputs))
    if len(text) <= LINE_WIDTH:
        return [text]
    wrapped = textwrap.wrap(
        ", ".join(map(str, config.inputs)),
        LINE_WIDTH - 8,
        break_long_words=False,
        break_on_hyphens=False,
    )
    return ["inputs = [", *(f"    {line}" for line in wrapped), "]"]


def _needs_whole_ints(config: RunConfig) -> bool:
    """Power results of more than 4,300 digits, which print() refuses by default."""
    if config.workload != "power" or config.inputs is None:
        return False
    return any(x > 1 and x * math.log10(x) >= BIGGEST_PRINTABLE_DIGITS for x in config.inputs)


def _whole_ints_lines(config: RunConfig) -> list[str]:
    if not _needs_whole_ints(config):
        return []
    return [
        "# x**x has more than 4,300 digits here: let print() show it whole.",
        "sys.set_int_max_str_digits(0)",
    ]


def _map_call(config: RunConfig, func: str) -> list[str]:
    if config.chunksize == 0:
        return [
            "# The playground sizes chunks itself, from measured task times; here Pool.map",
            "# picks its default: about len(inputs) / (4 * workers) tasks per chunk.",
            f"results = pool.map({func}, inputs)",
        ]
    return [f"results = pool.map({func}, inputs, chunksize={config.chunksize})"]


def _process_pool(config: RunConfig, func: str) -> tuple[list[str], set[str]]:
    workers = config.workers
    processes = f"{workers} worker process{'es' if workers != 1 else ''}"
    lines = [
        "me = multiprocessing.current_process().name  # MainProcess; workers get other names",
        "cpus = multiprocessing.cpu_count()",
        f'print(f"{{me}}: {{len(inputs)}} tasks for {processes} on {{cpus}} CPUs")',
        f'context = multiprocessing.get_context("{config.start_method}")',
        "started = time.perf_counter()",
        f"with context.Pool({workers}) as pool:",
        *_indent(_map_call(config, func)),
    ]
    return lines, {"import multiprocessing"}


def _futures_pool(config: RunConfig, func: str) -> tuple[list[str], set[str]]:
    workers = config.workers
    processes = f"{workers} worker process{'es' if workers != 1 else ''}"
    if config.chunksize == 0:
        chunks = [
            "# The playground sizes chunks itself, from measured task times; here, Pool.map's",
            "# default (executor.map's own is 1: a message per task).",
            f"chunksize = max(1, -(-len(inputs) // (4 * {workers})))",
        ]
    else:
        chunks = [f"chunksize = {config.chunksize}"]
    lines = [
        "cpus = multiprocessing.cpu_count()",
        f'print(f"{{len(inputs)}} tasks for {processes} on {{cpus}} CPUs")',
        *chunks,
        f'context = multiprocessing.get_context("{config.start_method}")',
        "started = time.perf_counter()",
        f"with ProcessPoolExecutor({workers}, mp_context=context) as executor:",
        "    # A worker that dies breaks the executor: every pending task fails with",
        "    # BrokenProcessPool (Pool, instead, would wait for its result forever).",
        f"    results = list(executor.map({func}, inputs, chunksize=chunksize))",
    ]
    return lines, {"import multiprocessing", "from concurrent.futures import ProcessPoolExecutor"}


def _dask_cluster(config: RunConfig, func: str) -> tuple[list[str], set[str]]:
    workers = config.workers
    if config.scheduler:
        connect = [
            "# An existing cluster: its scheduler's address.",
            f'with Client("{config.scheduler}") as client:',
        ]
    else:
        connect = [
            f"# A cluster on this computer: {workers} worker processes, one thread each.",
            f"with LocalCluster(n_workers={workers}, threads_per_worker=1) as cluster, Client(",
            "    cluster",
            ") as client:",
        ]
    lines = [
        "started = time.perf_counter()",
        *connect,
        "    # One future per task; the scheduler sends each to a free worker, and sends",
        "    # a lost worker's tasks to another.",
        f"    futures = client.map({func}, inputs)",
        "    results = client.gather(futures)",
    ]
    return lines, {"from dask.distributed import Client, LocalCluster"}


def _thread_pool(config: RunConfig, func: str) -> tuple[list[str], set[str]]:
    workers = config.workers
    threads = f"{workers} thread{'s' if workers != 1 else ''}"
    lines = [
        "# Threads share this one process: with a GIL, one runs Python code at a time.",
        "me = threading.current_thread().name  # MainThread; the pool's threads get other names",
        f'print(f"{{me}}: {{len(inputs)}} tasks for {threads}")',
        "started = time.perf_counter()",
        f"with ThreadPool({workers}) as pool:",
        *_indent(_map_call(config, func)),
    ]
    return lines, {"import threading", "from multiprocessing.pool import ThreadPool"}


def _plain_loop(config: RunConfig, func: str) -> tuple[list[str], set[str]]:
    lines = [
        "# One after another, in this process: the time every other run is compared with.",
        "started = time.perf_counter()",
        "results = []",
        "for x in inputs:",
        f"    results.append({func}(x))",
    ]
    return lines, set()


def _indent(lines: list[str]) -> list[str]:
    return [f"    {line}" if line else "" for line in lines]


def _import_order(line: str) -> tuple[int, str]:
    """`import x` lines first, then `from x import y`, each alphabetical (as ruff sorts)."""
    return (line.startswith("from "), line)


# -- the workload's source -------------------------------------------------------------------


@lru_cache(maxsize=32)
def _module_parts(module, keep_make_inputs: bool) -> tuple[frozenset[str], str]:
    """The workload module's imports (as lines) and the rest of its code, without its
    docstring, its `from __future__` line, the comments on its imports and, when the run has
    its own inputs, without `make_inputs`."""
    try:
        source = inspect.getsource(module)
    except (OSError, TypeError):  # a build that left out the .py files
        raise ScriptUnavailable(
            f"the source of {module.__name__} is not part of this installation"
        ) from None
    lines = source.splitlines()
    tree = ast.parse(source)
    imports: set[str] = set()
    kept: list[str] = []
    previous_end = 0
    for index, node in enumerate(tree.body):
        # A node owns the comment lines right above it, up to the previous node.
        start = previous_end
        previous_end = node.end_lineno
        is_docstring = (
            index == 0
            and isinstance(node, ast.Expr)
            and isinstance(node.value, ast.Constant)
            and isinstance(node.value.value, str)
        )
        if is_docstring or (isinstance(node, ast.ImportFrom) and node.module == "__future__"):
            continue
        if isinstance(node, ast.Import | ast.ImportFrom):
            imports.add(ast.get_source_segment(source, node))
            continue
        unused = not keep_make_inputs and getattr(node, "name", "") == "make_inputs"
        if unused:
            continue
        kept.append("\n".join(lines[start : node.end_lineno]))
    body = "\n".join(kept).strip("\n")
    body = re.sub(r"  # noqa[^\n]*", "", body)  # the app's linter notes mean nothing here
    body = re.sub(r"\n{4,}", "\n\n\n", body)
    return frozenset(imports), body
