"""Timing and record format shared by every benchmark.

A record is one JSON object: ``name``, ``config``, ``device``, the JAX version
and ``XLA_FLAGS`` it ran under, ``shapes`` and
timings in milliseconds (median/min/max over the timed runs, which come after
warm-up), with compile time reported separately.
"""

import os
import platform
import statistics
import time

import jax


def device_description():
    """A short human-readable description of the default JAX device."""
    dev = jax.devices()[0]
    if dev.platform == "cpu":
        return f"cpu ({platform.processor() or platform.machine()}, {_cpu_count()} cores)"
    return f"{dev.platform}: {getattr(dev, 'device_kind', dev.platform)}"


def _cpu_count():
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()


def _block(out):
    return jax.block_until_ready(out)


def time_jax(fn, *args, runs=10, warmup=2):
    """Times a jitted ``fn(*args)``.

    The first call (trace + compile + run) is reported as ``compile_ms``;
    then ``warmup`` untimed calls, then ``runs`` timed calls.
    Returns dict with compile_ms, median_ms, min_ms, max_ms, runs.
    """
    t0 = time.perf_counter()
    _block(fn(*args))
    compile_ms = (time.perf_counter() - t0) * 1e3
    for _ in range(warmup):
        _block(fn(*args))
    return dict(compile_ms=compile_ms, **_timed(lambda: _block(fn(*args)), runs))


def time_host(fn, runs=10, warmup=2):
    """Times a plain callable (e.g. a PyTorch forward), same statistics."""
    for _ in range(warmup):
        fn()
    return _timed(fn, runs)


def _timed(call, runs):
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        call()
        times.append((time.perf_counter() - t0) * 1e3)
    return dict(
        median_ms=statistics.median(times), min_ms=min(times), max_ms=max(times), runs=runs
    )


def xla_flops(jitted, *args):
    """XLA's FLOP count of one call of a jitted function (None when XLA gives none)."""
    analysis = jitted.lower(*args).compile().cost_analysis()
    if isinstance(analysis, (list, tuple)):  # older jax: one dict per computation
        analysis = analysis[0] if analysis else {}
    flops = (analysis or {}).get("flops")
    return float(flops) if flops is not None and flops >= 0 else None


def record(name, config, shapes, **fields):
    """One benchmark record (a JSON-serialisable dict)."""
    return dict(
        name=name,
        config=config,
        device=device_description(),
        jax_version=jax.__version__,
        xla_flags=os.environ.get("XLA_FLAGS", ""),
        shapes=shapes,
        **fields,
    )
