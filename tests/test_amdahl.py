"""Amdahl's law fitted to measured speedups, and medians of repeated runs."""

from __future__ import annotations

import math
import random

import pytest

from app.stats.amdahl import AmdahlFit, fit_amdahl
from app.stats.repeats import repeated


def amdahl(s: float, n: int) -> float:
    return 1 / (s + (1 - s) / n)


@pytest.mark.parametrize("s", [0.0, 0.04, 0.25, 0.5, 1.0])
def test_the_fit_finds_a_known_serial_fraction(s):
    fit = fit_amdahl([(n, amdahl(s, n)) for n in (1, 2, 4, 8)])
    assert fit.serial_fraction == pytest.approx(s, abs=1e-9)
    assert fit.points == 4


def test_the_fit_stands_noise():
    rng = random.Random(7)
    points = [(n, amdahl(0.1, n) * rng.uniform(0.97, 1.03)) for n in (1, 2, 3, 4, 6, 8) * 3]
    assert fit_amdahl(points).serial_fraction == pytest.approx(0.1, abs=0.03)


def test_superlinear_points_give_no_serial_part_and_no_crash():
    fit = fit_amdahl([(1, 1.0), (2, 2.3), (4, 4.9)])
    assert fit.serial_fraction == 0.0
    assert math.isinf(fit.max_speedup)
    assert "no limit" in fit.describe()


def test_nonsense_points_are_left_out_or_clamped():
    assert fit_amdahl([]) is None
    assert fit_amdahl([(1, 1.0)]) is None  # one worker says nothing about scaling
    fit = fit_amdahl([(2, 0.0), (2, -1.0), (0, 3.0), (2, float("nan")), (4, 0.3)])
    assert fit.points == 1 and fit.serial_fraction == 1.0  # slower with more workers


def test_the_description_says_the_limit():
    assert AmdahlFit(0.04, 3).describe() == "serial part ≈ 4.0 %: at most 25× however many cores"
    assert AmdahlFit(0.04, 3).speedup(2) == pytest.approx(amdahl(0.04, 2))


def test_repeats_give_the_median_and_flag_a_wide_spread():
    steady = repeated([1.0, 1.1, 0.95])
    assert steady.median == 1.0 and not steady.noisy
    assert repeated([1.0, 2.0, 1.1]).noisy
    assert not repeated([5.0]).noisy
    with pytest.raises(ValueError):
        repeated([])
