"""A module imported when first used: for what a run needs only once its workers are starting.

A cold run (`python -m app run`, a script) waits for its first worker for some 50 ms, while a
new interpreter starts and imports; everything the parent imports before it asks for its
workers adds to that wait, everything after overlaps it. The records (`app.engine.records`:
many dataclasses, some milliseconds to define) are first needed when the first worker says
hello, so the modules on the way to starting the workers (run, supervisor, ledger) name them
through a `LazyModule`, and the supervisor loads it right after asking for the workers.

`importlib.util.LazyLoader` does the like, but is not safe when two threads touch the module
first at once before Python 3.12; `importlib.import_module` takes the import lock, so two
threads loading at once get the same module.
"""

from __future__ import annotations

from importlib import import_module
from types import ModuleType


class LazyModule:
    """Stands for the module `name`, imported at the first attribute read (or `load`)."""

    def __init__(self, name: str) -> None:
        self._name = name

    def load(self) -> ModuleType:
        """Import the module now; later reads are plain attribute reads."""
        module = import_module(self._name)
        self.__dict__.update(vars(module))
        return module

    def __getattr__(self, attribute: str):  # only for names not read before
        if attribute.startswith("__"):
            raise AttributeError(attribute)
        module = self.load()
        return getattr(module, attribute)
