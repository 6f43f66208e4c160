"""Timing and record format shared by every benchmark.

A record is one JSON object: ``name``, ``config``, ``device``, the JAX version
and ``XLA_FLAGS`` it ran under, ``shapes`` and
timings in milliseconds (median/min/max over the timed runs, which come after
warm-up), with compile time reported separately. A jitted function is
compiled before it runs, and its record carries XLA's compiled memory
analysis (``memory``, bytes) and FLOP count (``gflops``); a shape whose peak
memory exceeds the budget is not run: :func:`skipped_record` records the
bytes it needs instead.
"""

import os
import platform
import statistics
import time

import jax

from gazejax.bench.memory import ShapeTooBig, compiled_memory


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


def time_jax(fn, *args, runs=10, warmup=2, budget_bytes=None):
    """Times ``fn(*args)``.

    A jitted ``fn`` is lowered and compiled first (``compile_ms``), its
    compiled memory analysis read (``memory``, see
    :func:`gazejax.bench.memory.compiled_memory`) and XLA's FLOP count
    (``gflops``); if its peak exceeds ``budget_bytes`` it raises
    :class:`~gazejax.bench.memory.ShapeTooBig` without running. Any other
    callable's first call (trace + compile + run) is reported as
    ``compile_ms``. Then one untimed first run for a jitted ``fn``, ``warmup``
    untimed calls and ``runs`` timed calls.
    Returns dict with compile_ms, median_ms, min_ms, max_ms, runs (and memory, gflops).
    """
    if hasattr(fn, "lower"):
        compiled, measured = compile_checked(fn, *args, budget_bytes=budget_bytes)
        fn = compiled
    else:
        measured = {}
    t0 = time.perf_counter()
    _block(fn(*args))
    if not measured:
        measured["compile_ms"] = (time.perf_counter() - t0) * 1e3
    for _ in range(warmup):
        _block(fn(*args))
    return dict(measured, **_timed(lambda: _block(fn(*args)), runs))


def compile_checked(jitted, *args, budget_bytes=None):
    """``(compiled, {compile_ms, memory, gflops})`` of a jitted function at ``args``.

    Raises :class:`~gazejax.bench.memory.ShapeTooBig` when the compiled peak
    memory exceeds ``budget_bytes`` (None: no limit).
    """
    t0 = time.perf_counter()
    compiled = jitted.lower(*args).compile()
    compile_ms = (time.perf_counter() - t0) * 1e3
    memory = compiled_memory(compiled)
    if budget_bytes is not None and memory is not None and memory["peak_bytes"] > budget_bytes:
        raise ShapeTooBig(memory, budget_bytes)
    flops = compiled_flops(compiled)
    return compiled, dict(compile_ms=compile_ms, memory=memory, gflops=None if flops is None else flops / 1e9)


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
    return _stats(times)


def _stats(times):
    return dict(
        median_ms=statistics.median(times), min_ms=min(times), max_ms=max(times), runs=len(times)
    )


def time_alternating(calls, runs=10, warmup=2):
    """Times several no-argument callables run by turns, ``{name: stats}``.

    Taking turns call by call exposes each side of a comparison to the same
    load, which on a CPU shared with other work matters more than the
    number of runs. Each callable must block until its result is ready.
    """
    for call in calls.values():
        for _ in range(warmup):
            call()
    times = {name: [] for name in calls}
    for _ in range(runs):
        for name, call in calls.items():
            t0 = time.perf_counter()
            call()
            times[name].append((time.perf_counter() - t0) * 1e3)
    return {name: _stats(t) for name, t in times.items()}


def xla_flops(jitted, *args):
    """XLA's FLOP count of one call of a jitted function (None when XLA gives none)."""
    return compiled_flops(jitted.lower(*args).compile())


def compiled_flops(compiled):
    """XLA's FLOP count of one call of a ``jax.stages.Compiled`` (None when XLA gives none)."""
    analysis = compiled.cost_analysis()
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
        glibc_tunables=os.environ.get("GLIBC_TUNABLES", ""),  # huge pages: gazejax.malloc_hugepages
        shapes=shapes,
        **fields,
    )


def skipped_record(name, config, shapes, too_big, **fields):
    """The record of a shape that was not run because it does not fit the memory budget."""
    memory = too_big.memory
    return record(name, config, shapes, skipped=True,
                  reason=f"compiled peak memory {_readable(memory['peak_bytes'])} exceeds the budget "
                         f"{_readable(too_big.budget_bytes)}",
                  needed_bytes=memory["peak_bytes"], budget_bytes=too_big.budget_bytes, memory=memory, **fields)


def _readable(n_bytes):
    return f"{n_bytes / 1e9:.2f} GB" if n_bytes >= 1e9 else f"{n_bytes / 1e6:.1f} MB"
