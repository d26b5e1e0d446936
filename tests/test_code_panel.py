"""The Code tab follows the controls live, shows why when there is no script, copies and saves."""

from __future__ import annotations

import pytest
from PySide6.QtGui import QGuiApplication

from app.control.codegen import script_for
from app.engine import ConfigError, RunConfig


def select(combo, data) -> None:
    combo.setCurrentIndex(combo.findData(data))


def test_the_code_tab_follows_the_controls(window):
    panel = window.panel("code")
    controls = window.controls
    assert window.tabs.tabText(window.tabs.indexOf(panel)) == "Code"
    select(controls.workload_combo, "primes")
    select(controls.executor_combo, "process")
    controls.workers_spin.setValue(3)
    controls.tasks_spin.setValue(48)
    controls.chunksize_spin.setValue(4)
    assert "results = pool.map(count_primes, inputs, chunksize=4)" in panel.script
    assert "with context.Pool(3) as pool:" in panel.script
    assert "inputs = make_inputs(48)" in panel.script
    assert panel.editor.toPlainText() == panel.script == script_for(controls.run_config())

    select(controls.executor_combo, "thread")
    assert "with ThreadPool(3) as pool:" in panel.editor.toPlainText()
    select(controls.executor_combo, "serial")
    assert "for x in inputs:" in panel.editor.toPlainText()
    select(controls.workload_combo, "mandelbrot")
    assert "mandelbrot_row(x)" in panel.editor.toPlainText()
    controls.chunksize_spin.setValue(0)
    select(controls.executor_combo, "process")
    assert "results = pool.map(mandelbrot_row, inputs)\n" in panel.script


def test_settings_the_engine_refuses_show_the_reason_not_a_crash(window, monkeypatch):
    panel = window.panel("code")

    def refuse():
        raise ConfigError("start method 'fork' is not available on this OS")

    monkeypatch.setattr(window.controls, "run_config", refuse)
    window.controls.workers_spin.setValue(window.controls.workers_spin.value() % 4 + 1)
    assert "not available on this OS" in panel.note.text()
    assert "not available on this OS" in panel.editor.toPlainText()
    assert panel.script == ""
    assert not panel.copy_button.isEnabled() and not panel.save_button.isEnabled()
    monkeypatch.undo()
    window.controls.workers_spin.setValue(2)
    assert panel.script and panel.copy_button.isEnabled()


@pytest.mark.timeout(60)
def test_a_run_shows_its_own_script_as_it_starts(window, qtbot):
    panel = window.panel("code")
    config = RunConfig(workload="power", inputs=(4, 2, 3), executor="serial")
    with qtbot.waitSignal(window.run_finished, timeout=30_000):
        window.start_config(config)  # as a lesson's case starts: the controls stay as they were
        assert panel.script == script_for(config)


def test_copy_puts_the_whole_script_on_the_clipboard(window):
    panel = window.panel("code")
    QGuiApplication.clipboard().clear()
    panel.copy_button.click()
    assert QGuiApplication.clipboard().text() == panel.script != ""


def test_save_writes_a_py_file_and_says_where(window, tmp_path, monkeypatch):
    panel = window.panel("code")
    target = tmp_path / "my_pool"
    monkeypatch.setattr(
        "app.gui.panels.code.QFileDialog.getSaveFileName",
        lambda *args, **kwargs: (str(target), "Python files (*.py)"),
    )
    panel.save_button.click()
    saved = tmp_path / "my_pool.py"
    assert saved.read_text(encoding="utf-8") == panel.script
    assert "my_pool.py" in panel.note.text()


def test_save_where_it_cannot_write_says_so_in_one_line(window, tmp_path):
    panel = window.panel("code")
    (tmp_path / "script.py").mkdir()  # a folder where the file should go: even root fails
    assert not panel.save_to(str(tmp_path / "script.py"))
    assert panel.note.text().startswith("Could not save script.py:")
    assert "\n" not in panel.note.text()


def colour_at(editor, line: int, text: str) -> str | None:
    """The colour the highlighter gave the first character of `text` on that line."""
    block = editor.document().findBlockByNumber(line)
    column = block.text().index(text)
    for span in block.layout().formats():
        if span.start <= column < span.start + span.length:
            return span.format.foreground().color().name()
    return None


def test_the_script_is_coloured_as_python(window):
    from app.gui.python_highlighter import COMMENT, KEYWORD, STRING

    editor = window.panel("code").editor
    lines = editor.toPlainText().splitlines()

    def line_with(text: str) -> int:
        return next(i for i, line in enumerate(lines) if text in line)

    keyword, string, comment = (f.foreground().color().name() for f in (KEYWORD, STRING, COMMENT))
    assert colour_at(editor, 0, '"""') == string
    assert colour_at(editor, 1, lines[1].strip()[:3]) == string  # inside the docstring
    assert colour_at(editor, line_with("import time"), "import") == keyword
    assert colour_at(editor, line_with('if __name__ == "__main__":'), "if") == keyword
    assert colour_at(editor, line_with('if __name__ == "__main__":'), '"__main__"') == string
    assert colour_at(editor, line_with("# The task, copied"), "#") == comment
    assert colour_at(editor, line_with("elapsed = time"), "elapsed") is None  # a plain name
