"""The double-click app's recipe and resources, checked without building (a build takes minutes).

`.ci/frozen` builds build.spec with PyInstaller and runs the frozen executables; these tests
catch the cheap mistakes first: a spec that does not parse, an icon that is missing or not
what its extension says, a .desktop file a Linux desktop would reject.
"""

from __future__ import annotations

import ast
import configparser
import importlib.util
import os
import re
import shutil
import struct
import subprocess
import sys
import xml.etree.ElementTree as ElementTree
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SPEC = ROOT / "build.spec"
RESOURCES = ROOT / "resources"
DESKTOP_FILE = RESOURCES / "multiprocessing-playground.desktop"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
ICON_SUFFIXES = (".ico", ".icns", ".png", ".svg")


def spec_tree() -> ast.Module:
    return ast.parse(SPEC.read_text(encoding="utf-8"), filename=str(SPEC))


def spec_strings() -> set[str]:
    return {
        node.value
        for node in ast.walk(spec_tree())
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
    }


def spec_constant(name: str):
    """The value of a top-level `NAME = <literal>` in build.spec."""
    for node in spec_tree().body:
        if isinstance(node, ast.Assign) and any(
            isinstance(target, ast.Name) and target.id == name for target in node.targets
        ):
            return ast.literal_eval(node.value)
    raise AssertionError(f"build.spec has no {name} = <literal>")


def spec_function(name: str, namespace: dict):
    """Compile one function from build.spec (the spec itself only runs inside PyInstaller)."""
    for node in spec_tree().body:
        if isinstance(node, ast.FunctionDef) and node.name == name:
            module = ast.Module(body=[node], type_ignores=[])
            exec(compile(module, str(SPEC), "exec"), namespace)
            return namespace[name]
    raise AssertionError(f"build.spec has no function {name}()")


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == PNG_SIGNATURE, "not a PNG"
    assert data[12:16] == b"IHDR", "a PNG starts with its IHDR chunk"
    return struct.unpack(">II", data[16:24])


def ico_entries(data: bytes) -> list[tuple[int, bytes]]:
    """(pixel size, image bytes) of each image in an ICO file."""
    reserved, kind, count = struct.unpack("<HHH", data[:6])
    assert (reserved, kind) == (0, 1), "ICO header: reserved 0, type 1 (icon)"
    assert count >= 1
    entries = []
    for number in range(count):
        width, height, _colours, _reserved, _planes, _bits, length, offset = struct.unpack(
            "<BBBBHHII", data[6 + 16 * number : 22 + 16 * number]
        )
        assert width == height, "square icons only"
        assert offset + length <= len(data), "an ICO entry points past the end of the file"
        entries.append((width or 256, data[offset : offset + length]))
    return entries


def icns_entries(data: bytes) -> dict[str, bytes]:
    """type code -> image bytes of each entry in an ICNS file."""
    assert data[:4] == b"icns", "ICNS magic"
    (total,) = struct.unpack(">I", data[4:8])
    assert total == len(data), "the ICNS header gives the file's length"
    entries, position = {}, 8
    while position < total:
        kind = data[position : position + 4].decode("ascii")
        (length,) = struct.unpack(">I", data[position + 4 : position + 8])
        assert length > 8 and position + length <= total, f"ICNS entry {kind} is cut short"
        entries[kind] = data[position + 8 : position + length]
        position += length
    return entries


def load_make_icons():
    spec = importlib.util.spec_from_file_location("make_icons", RESOURCES / "make_icons.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # imports no Qt until it renders
    return module


def test_build_spec_parses_and_starts_at_the_app_entry_point():
    strings = spec_strings()
    assert "__main__.py" in strings
    entry = (ROOT / "app" / "__main__.py").read_text(encoding="utf-8")
    assert "freeze_support()" in entry, "frozen workers need multiprocessing.freeze_support()"


def test_build_spec_names_icon_files_that_exist():
    named = {text for text in spec_strings() if text.endswith(ICON_SUFFIXES)}
    assert {"icon.ico", "icon.icns"} <= named, "Windows and macOS each need their own icon"
    for name in named:
        assert (RESOURCES / name).is_file(), f"build.spec names resources/{name}, which is missing"


def test_build_spec_builds_a_windowed_and_a_console_executable_in_one_folder():
    gui, cli = spec_constant("GUI_NAME"), spec_constant("CLI_NAME")
    assert gui != cli and " " not in gui + cli
    calls = [node for node in ast.walk(spec_tree()) if isinstance(node, ast.Call)]
    consoles = {
        ast.unparse(call.args[0]): ast.literal_eval(call.keywords[0].value)
        for call in calls
        if ast.unparse(call.func) == "executable"
    }
    assert consoles == {"GUI_NAME": False, "CLI_NAME": True}
    (collect,) = [call for call in calls if ast.unparse(call.func) == "COLLECT"]
    assert [ast.unparse(arg) for arg in collect.args[:2]] == ["gui", "cli"], "one shared folder"


def test_build_spec_collects_every_workload_module_for_the_workers():
    from app.workloads import WORKLOADS

    app_modules = spec_function("app_modules", {"ROOT": ROOT, "Path": Path})
    collected = set(app_modules())
    for workload in WORKLOADS.values():
        assert workload.func.__module__ in collected, workload.name
    assert {"app.engine.worker", "app.cli", "app.gui"} <= collected


def test_frozen_children_are_told_apart_from_the_app_before_qt_loads():
    hook = ast.parse(spec_constant("NO_QT_IN_CHILDREN_HOOK"))
    (function,) = [node for node in hook.body if isinstance(node, ast.FunctionDef)]
    namespace: dict = {}
    exec(compile(ast.Module(body=[function], type_ignores=[]), "hook", "exec"), namespace)
    is_child = namespace["_is_multiprocessing_child"]
    exe = "MultiprocessingPlayground"
    assert is_child([exe, "--multiprocessing-fork", "tracker_fd=9", "pipe_handle=20"])
    tracker = "from multiprocessing.resource_tracker import main;main(8)"
    assert is_child([exe, "-B", "-S", "-I", "-c", tracker])
    assert not is_child([exe])
    assert not is_child([exe, "run", "--workload", "primes", "--json"])
    assert not is_child([exe, "selftest", "-c"])


def test_build_spec_ships_the_runtime_resources_but_not_the_build_only_ones():
    build_only = spec_constant("BUILD_ONLY_RESOURCES")
    for name in build_only:
        assert (RESOURCES / name).is_file(), f"BUILD_ONLY_RESOURCES names a missing {name}"
    shipped = {path.name for path in RESOURCES.iterdir() if path.is_file()} - build_only
    assert {"icon.png", "icon.svg", DESKTOP_FILE.name} <= shipped


def test_png_icons_are_square_pngs_of_their_sizes():
    assert png_size((RESOURCES / "icon.png").read_bytes()) == (256, 256)
    assert png_size((RESOURCES / "icon-512.png").read_bytes()) == (512, 512)


def test_ico_holds_png_images_from_16_to_256_pixels():
    entries = ico_entries((RESOURCES / "icon.ico").read_bytes())
    sizes = [size for size, _image in entries]
    assert {16, 32, 48, 256} <= set(sizes)
    for size, image in entries:
        assert png_size(image) == (size, size)


def test_icns_holds_png_images_for_every_retina_size():
    entries = icns_entries((RESOURCES / "icon.icns").read_bytes())
    expected = {"ic07": 128, "ic08": 256, "ic09": 512, "ic10": 1024}
    assert set(expected) <= set(entries)
    for kind, size in expected.items():
        assert png_size(entries[kind]) == (size, size), kind


def test_icon_writers_make_files_the_readers_accept():
    make_icons = load_make_icons()
    tiny_png = PNG_SIGNATURE + b"\x00\x00\x00\x0dIHDR" + struct.pack(">II", 16, 16) + b"rest"
    assert ico_entries(make_icons.ico_bytes({16: tiny_png})) == [(16, tiny_png)]
    assert icns_entries(make_icons.icns_bytes({"ic07": tiny_png})) == {"ic07": tiny_png}


def test_icon_svg_is_a_square_svg():
    svg = ElementTree.parse(RESOURCES / "icon.svg").getroot()
    assert svg.tag == "{http://www.w3.org/2000/svg}svg"
    assert svg.get("viewBox") == "0 0 256 256"


def test_desktop_file_has_what_a_linux_menu_needs():
    entry = configparser.ConfigParser(interpolation=None)
    entry.optionxform = str  # keys are case-sensitive in .desktop files
    entry.read(DESKTOP_FILE, encoding="utf-8")
    desktop = entry["Desktop Entry"]
    for key in ("Name", "Exec", "Icon", "Type", "Categories"):
        assert desktop.get(key), f"{DESKTOP_FILE.name} lacks {key}"
    assert desktop["Type"] == "Application"
    assert desktop["Name"] == "Multiprocessing Playground"
    assert desktop["Exec"].split()[0] == spec_constant("GUI_NAME")
    assert desktop["Categories"].endswith(";")
    assert "/" not in desktop["Icon"] and "." not in desktop["Icon"], "an icon-theme name"


def test_frozen_ci_script_is_strict_bash():
    script = ROOT / ".ci" / "frozen"
    lines = script.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "#!/usr/bin/env bash"
    assert "set -euo pipefail" in lines
    assert os.name == "nt" or os.access(script, os.X_OK), ".ci/frozen must be executable"
    bash = shutil.which("bash")
    if bash is None:
        pytest.skip("no bash here to check the syntax")
    checked = subprocess.run([bash, "-n", str(script)], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr


def pyproject() -> dict:
    import tomllib  # Python 3.11+; the checks below need nothing newer than the test's Python

    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


@pytest.mark.skipif(sys.version_info < (3, 11), reason="tomllib")
def test_pyproject_names_every_package_of_the_app():
    on_disk = {
        ".".join(path.parent.relative_to(ROOT).parts)
        for path in (ROOT / "app").rglob("__init__.py")
    }
    named = set(pyproject()["tool"]["setuptools"]["packages"])
    assert named == on_disk | {"app.resources"}, "a package pyproject.toml does not install"


def can_build_wheels_offline() -> bool:
    """setuptools builds wheels itself from 70.1; before that it needs the wheel package."""
    import setuptools

    version = tuple(int(part) for part in re.findall(r"\d+", setuptools.__version__)[:2])
    return version >= (70, 1) or importlib.util.find_spec("wheel") is not None


@pytest.mark.timeout(180)
def test_a_plain_pip_install_carries_the_icon_and_the_window_finds_it(tmp_path):
    """`pip install .` (not editable) once lost the icon: resources/ lay outside the package."""
    wheels, site = tmp_path / "wheels", tmp_path / "site"
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--no-input"]
    if not can_build_wheels_offline():
        pytest.skip("needs setuptools >= 70.1 (or the wheel package) to build without a network")
    built = subprocess.run(
        [*pip, "wheel", "--no-deps", "--no-build-isolation", "-w", str(wheels), str(ROOT)],
        capture_output=True, text=True, cwd=tmp_path,
    )  # fmt: skip
    assert built.returncode == 0, built.stderr
    (wheel,) = wheels.glob("*.whl")
    with zipfile.ZipFile(wheel) as archive:
        packed = {name for name in archive.namelist() if name.startswith("app/resources/")}
    runtime = {
        f"app/resources/{path.name}"
        for path in RESOURCES.iterdir()
        if path.is_file() and path.suffix != ".py"
    } - {f"app/resources/{name}" for name in spec_constant("BUILD_ONLY_RESOURCES")}
    assert runtime <= packed, f"missing from the wheel: {sorted(runtime - packed)}"
    installed = subprocess.run(
        [*pip, "install", "--no-deps", "--no-index", "--target", str(site), str(wheel)],
        capture_output=True, text=True, cwd=tmp_path,
    )  # fmt: skip
    assert installed.returncode == 0, installed.stderr
    check = (
        "import sys, app, app.gui\n"
        "from PySide6.QtGui import QImage\n"
        f"assert app.__file__.startswith({str(site)!r}), app.__file__\n"
        "image = QImage()\n"
        "assert image.loadFromData(app.gui.resource_bytes('icon.png'))\n"
        "print(image.width(), image.height())\n"
    )
    env = dict(os.environ, PYTHONPATH=str(site))
    loaded = subprocess.run(
        [sys.executable, "-c", check], capture_output=True, text=True, cwd=tmp_path, env=env
    )
    assert loaded.returncode == 0, loaded.stderr
    assert loaded.stdout.split() == ["256", "256"]


def test_readme_says_what_pyproject_does_about_pyside6():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    requirement = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    pinned_below = re.search(r'"PySide6-Essentials[^"]*<\s*6\.12', requirement)
    if not pinned_below:
        assert "pinned below 6.12" not in readme, "README claims a pin pyproject.toml lacks"
    assert "!=6.12.0" in requirement and "6.12.0" in readme
