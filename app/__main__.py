"""Entry point for `python -m app` and for the frozen (PyInstaller) executables.

`freeze_support()` comes first: in a frozen app a spawned worker starts this same executable,
and must run its task rather than open a second window. Nothing else happens at import, so a
spawned worker that imports this module (as `__mp_main__`) pays nothing for it.
"""

import multiprocessing
import sys


def _entry() -> None:
    multiprocessing.freeze_support()
    from app.cli import main

    # Frozen, sys.argv[0] is the executable, which names itself; otherwise this is `python -m app`.
    sys.exit(main(prog=None if getattr(sys, "frozen", False) else "python -m app"))


if __name__ == "__main__":
    _entry()
