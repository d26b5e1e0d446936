"""The window (the only part of the app that imports Qt, pyqtgraph or numpy).

`launch()` is what `python -m app` with no command and the `mpplayground` GUI script call.
Qt is imported inside the functions, so importing `app.gui` stays cheap for the CLI.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

# resources/ sits beside the app package in a checkout and in the frozen app's _internal/;
# `pip install .` installs it as the package app.resources (see pyproject.toml).
RESOURCES = Path(__file__).resolve().parents[2] / "resources"


def resource_bytes(name: str) -> bytes | None:
    """The bytes of resources/NAME, wherever the app was installed or unpacked; None if the
    file is missing."""
    beside = RESOURCES / name
    if beside.is_file():
        return beside.read_bytes()
    from importlib import resources  # some 8 ms: the command line imports this package too

    try:
        return (resources.files("app.resources") / name).read_bytes()
    except (ModuleNotFoundError, OSError):
        return None


def replace_missing_streams() -> None:
    """A windowed build (PyInstaller --windowed on Windows) has no console: sys.stdout is None,
    and the first print() would crash the app. Point missing streams at the null device."""
    for name in ("stdout", "stderr"):
        if getattr(sys, name) is None:
            setattr(sys, name, open(os.devnull, "w", encoding="utf-8"))  # noqa: SIM115


def broken_qt_binding() -> str | None:
    """Why the installed PySide6 cannot run this app, or None if it can.

    PySide6 6.12.0 loses a reference to None on every call of a C++ method that returns void;
    before Python 3.12 (where None became immortal) the interpreter aborts within a minute of
    drawing charts. pyproject.toml excludes that release; this catches an install that has it.
    """
    import PySide6

    if PySide6.__version__ == "6.12.0" and sys.version_info < (3, 12):
        return (
            "PySide6 6.12.0 crashes Python before 3.12; install another release: "
            'python -m pip install "PySide6-Essentials>=6.6,!=6.12.0"'
        )
    return None


def missing_display() -> str | None:
    """Why no window can open here, or None. Qt itself would abort the process instead."""
    if not sys.platform.startswith("linux") or os.environ.get("QT_QPA_PLATFORM"):
        return None
    if os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"):
        return None
    return (
        "no display to open the window on (neither DISPLAY nor WAYLAND_DISPLAY is set); "
        "use the command line instead, e.g. `python -m app run --workload primes`"
    )


def launch(argv: list[str] | None = None) -> int:
    """Open the playground window and run the Qt event loop; returns the exit code."""
    replace_missing_streams()
    problem = missing_display() or broken_qt_binding()
    if problem:
        print(f"mpplayground: error: {problem}", file=sys.stderr)
        return 2
    from PySide6.QtGui import QIcon, QPixmap
    from PySide6.QtWidgets import QApplication

    from app.gui.signals import close_on_signals
    from app.gui.theme import apply_theme
    from app.gui.window import MainWindow

    app = QApplication.instance() or QApplication(sys.argv if argv is None else argv)
    app.setOrganizationName("MultiprocessingPlayground")
    app.setApplicationName("Multiprocessing Playground")
    app.setDesktopFileName("multiprocessing-playground")  # links the window to the .desktop entry
    icon = QPixmap()
    if icon.loadFromData(resource_bytes("icon.png") or b""):
        app.setWindowIcon(QIcon(icon))
    apply_theme(app)
    window = MainWindow()
    window.show()

    def quit_like_the_menu() -> None:
        window.close()  # stops the run, saves the settings
        app.quit()  # even if another top-level window (a dialog) is still open

    with close_on_signals(quit_like_the_menu) as signal_exit_code:
        code = app.exec()
    return signal_exit_code() or code
