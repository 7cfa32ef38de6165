"""What the Python benchmark helpers share: milliseconds per call after a warm-up."""

import time


def timed(fn, runs, warmup):
    """Calls fn `warmup` times untimed, then `runs` times; returns each timed call in ms."""
    for _ in range(warmup):
        fn()
    out = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t0) * 1000)
    return out
