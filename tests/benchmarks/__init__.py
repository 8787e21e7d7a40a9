"""Speed and memory benchmarks (quality.md, "It is fast on a laptop").

Not collected by pytest (no ``test_*.py`` files here): run them with
``python -m tests.benchmarks.run`` (see docs/benchmarks.md).  A benchmark
module is any ``tests/benchmarks/bench_*.py`` with ``run(store_dir) -> list[Result]``.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass
class Result:
    """One measured figure, beside the bare library doing the same work in the same run."""

    name: str
    value: float
    unit: str = "ms"
    baseline: float | None = None  # the bare library's figure, same unit
    limit: float | None = None  # the target: value must be <= limit (same unit)
    ratio_limit: float | None = None  # or: value / baseline must be <= ratio_limit
    note: str = ""

    @property
    def ratio(self) -> float | None:
        if self.baseline is None or self.baseline <= 0:
            return None
        return self.value / self.baseline

    @property
    def ok(self) -> bool | None:
        checks = []
        if self.limit is not None:
            checks.append(self.value <= self.limit)
        if self.ratio_limit is not None and self.ratio is not None:
            checks.append(self.ratio <= self.ratio_limit)
        return all(checks) if checks else None

    @property
    def target(self) -> str:
        parts = []
        if self.limit is not None:
            parts.append(f"≤ {self.limit:g} {self.unit}")
        if self.ratio_limit is not None:
            parts.append(f"≤ {self.ratio_limit:g}× bare")
        return " and ".join(parts) or "—"


def median_ms(fn: Callable[[], object], repeat: int = 7, warmup: int = 1) -> float:
    """The median wall time of ``fn()`` in milliseconds, after ``warmup`` untimed calls."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)
