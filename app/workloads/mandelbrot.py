"""The "mandelbrot" workload: one row of a Mandelbrot image per task.

A point inside the set runs all MAX_ITER iterations; a point far outside escapes after one
or two. So rows through the middle of the image cost many times more than rows at its top and
bottom edges: the tasks are unequal, and a worker that happens to get the expensive rows
finishes last. Watch how a smaller chunksize evens out the load.
"""

from __future__ import annotations

WIDTH = 640  # pixels per row
HEIGHT = 480  # rows in the image (640 x 480 keeps pixels square)
MAX_ITER = 256  # iterations before we call a point "inside the set"
LEFT, RIGHT = -2.2, 1.0  # real axis shown
TOP, BOTTOM = 1.2, -1.2  # imaginary axis shown


def mandelbrot_row(y: int) -> list[int]:
    """Iteration counts for the WIDTH pixels of row y (0 is the top; wraps past HEIGHT).

    A count of MAX_ITER means the point never escaped: it is (probably) in the set.
    """
    y = y % HEIGHT
    imag = TOP + (BOTTOM - TOP) * y / (HEIGHT - 1)
    counts = []
    for x in range(WIDTH):
        c = complex(LEFT + (RIGHT - LEFT) * x / (WIDTH - 1), imag)
        z = 0j
        iterations = 0
        while iterations < MAX_ITER and abs(z) <= 2.0:
            z = z * z + c
            iterations += 1
        counts.append(iterations)
    return counts


def make_inputs(n: int) -> list[int]:
    """n row numbers spread evenly from top to bottom, in order (distinct if n <= HEIGHT)."""
    return [i * HEIGHT // n for i in range(n)]
