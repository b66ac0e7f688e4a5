"""Run a piece of code under a memory ceiling and measure its time and peak-memory growth.

The ceiling is the address-space limit (``RLIMIT_AS``) lowered, for the duration of the block, to what the
process already maps plus :data:`HEADROOM_MB`: input that tries to take gigabytes gets a MemoryError instead
of taking the machine. The growth of the process's peak resident memory (``ru_maxrss``) is what a test
asserts on.
"""

from __future__ import annotations

import contextlib
import resource
import time
from collections.abc import Iterator
from dataclasses import dataclass

#: Address space a block may add on top of what the process already maps.
HEADROOM_MB = 1024


@dataclass
class Usage:
    seconds: float = 0.0
    growth_mb: float = 0.0


def _mapped_bytes() -> int:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[0]) * resource.getpagesize()


@contextlib.contextmanager
def bounded(headroom_mb: int = HEADROOM_MB) -> Iterator[Usage]:
    usage = Usage()
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    ceiling = _mapped_bytes() + headroom_mb * 1024 * 1024
    if hard != resource.RLIM_INFINITY:
        ceiling = min(ceiling, hard)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.monotonic()
    resource.setrlimit(resource.RLIMIT_AS, (ceiling, hard))
    try:
        yield usage
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))
        usage.seconds = time.monotonic() - start
        usage.growth_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - peak) / 1024
