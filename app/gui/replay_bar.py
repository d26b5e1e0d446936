"""The replay bar: how fast a recorded run plays (1x, 2x, 5x, 10x, End) and where it is.

A toolbar above the charts, shown only while the charts show a replay. The slider scrubs: let
go of it (or click along it) and the replay jumps there. The bar only shows and asks; the
`ReplayDriver` decides.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QButtonGroup, QLabel, QSlider, QToolBar, QToolButton

from app.engine.replay import END, SPEEDS

SLIDER_STEPS = 1000


def speed_text(speed: float) -> str:
    return "End" if speed == END else f"{speed:g}×"


class ReplayBar(QToolBar):
    speed_chosen = Signal(float)
    seek_requested = Signal(float)  # seconds of the recorded run

    def __init__(self) -> None:
        super().__init__("Replay")
        self.setObjectName("replayBar")
        self.setMovable(False)
        self.setFloatable(False)
        self.title = QLabel("Replay")
        self.title.setStyleSheet("font-weight: bold; padding: 0 0.4em;")
        self.addWidget(self.title)
        self.speed_group = QButtonGroup(self)
        self.speed_buttons: dict[float, QToolButton] = {}
        for speed in SPEEDS:
            button = QToolButton()
            button.setText(speed_text(speed))
            button.setCheckable(True)
            button.setToolTip(
                "Show the rest of the run at once"
                if speed == END
                else f"Play at {speed:g} times the recorded speed"
            )
            self.speed_group.addButton(button)
            self.speed_buttons[speed] = button
            button.clicked.connect(lambda _=False, s=speed: self.speed_chosen.emit(s))
            self.addWidget(button)
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setRange(0, SLIDER_STEPS)
        self.slider.setMinimumWidth(160)
        self.slider.setToolTip("Drag to jump to a moment of the recorded run")
        self.slider.sliderReleased.connect(self._released)
        self.slider.valueChanged.connect(self._moved)
        self.addWidget(self.slider)
        self.position_label = QLabel()
        self.position_label.setStyleSheet("padding: 0 0.4em;")
        self.addWidget(self.position_label)
        self._duration = 0.0
        self.set_speed(1.0)
        self.setVisible(False)

    def show_replay(self, file_name: str, duration: float, speed: float) -> None:
        self._duration = max(duration, 0.0)
        self.title.setText(f"Replay of {file_name}")
        self.set_speed(speed)
        self.show_position(0.0)
        self.setVisible(True)

    def set_speed(self, speed: float) -> None:
        self.speed_buttons[speed].setChecked(True)

    def show_position(self, at: float) -> None:
        """Move the slider to `at` seconds, unless the user is holding it."""
        if not self.slider.isSliderDown():
            step = round(SLIDER_STEPS * at / self._duration) if self._duration > 0 else 0
            self.slider.blockSignals(True)
            self.slider.setValue(min(max(step, 0), SLIDER_STEPS))
            self.slider.blockSignals(False)
        self.position_label.setText(f"{at:.1f} of {self._duration:.1f} s")

    def seconds(self, step: int) -> float:
        return self._duration * step / SLIDER_STEPS

    def _released(self) -> None:
        self.seek_requested.emit(self.seconds(self.slider.value()))

    def _moved(self, step: int) -> None:
        if not self.slider.isSliderDown():  # a click along it, a key: jump at once
            self.seek_requested.emit(self.seconds(step))
