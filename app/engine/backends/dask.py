"""The dask backend (being written)."""

from __future__ import annotations

from app.engine.backends import Backend


class DaskBackend(Backend):
    name = "dask"
    label = "Dask cluster"
    tip = "dask.distributed"


BACKEND = DaskBackend
