"""``gazejax bench gpu --json OUT``: every benchmark at the papers' shapes, in one JSON.

Runs, in turn, the render (EG3D's 128^2 rays x 96 samples, batch 1 and 8,
JAX only: its PyTorch reference runs on the host CPU, which would dominate
the suite), LiveGaze ``:paper`` (batch 1 and 16), GazeNeRF ``:paper`` (a
training step and the 75-step fit), EG3D (the generator at 512^2, batch 1
and 4, and a G+D training step at batch 4, JAX only), MGGR ``:paper``, L2CS
(ResNet-50 at 448^2, with its PyTorch CPU figure), SynthGaze and the input
pipeline against a LiveGaze step's consumption, each with its median,
compile time and compiled peak memory. Every record with XLA's FLOP count
also gets the achieved TFLOP/s and, on a known device
(:mod:`gazejax.bench.devices`), the fraction of its peak; the render's
records carry the fraction of peak memory bandwidth. A last record,
``gpu_suite``, gives the wall time of each benchmark and of the whole suite
(the target is under 8 minutes on one H100).

Made for an accelerator: on a CPU it runs only with ``--quick`` (tiny
shapes, a smoke test of the whole suite).
"""

import argparse
import importlib
import time

import jax

from gazejax.bench import eg3d, render
from gazejax.bench.devices import peak_tflops
from gazejax.bench.timing import record
from gazejax.cli import UsageError

SUITE = ("render", "livegaze", "gazenerf", "eg3d", "mggr", "l2cs", "synthgaze", "input")


def run(args):
    if jax.devices()[0].platform == "cpu" and not args.quick:
        raise UsageError("gazejax bench gpu runs the papers' shapes, hours of a CPU: "
                         "run it on an accelerator, or with --quick for a smoke test")
    records, seconds = [], {}
    for name in SUITE:
        t0 = time.perf_counter()
        for rec in _run_one(name, args):
            records.append(dict(rec, benchmark=name, **_flop_rate(rec)))
        seconds[name] = time.perf_counter() - t0
    records.append(record("gpu_suite", "papers' shapes" if not args.quick else "quick", {},
                          seconds_per_benchmark=seconds, wall_s=sum(seconds.values())))
    return records


def _run_one(name, args):
    if name == "render":
        w = render.QUICK if args.quick else render.FULL
        runs = max(args.runs, 10)
        return [rec for batch in w.batches for mode in ("forward", "forward_backward")
                for rec in render.measure(w, batch, mode, runs, args.budget_bytes)]
    if name == "eg3d":  # JAX only, like the render
        return eg3d.run_jax_only(args)
    # each benchmark's own defaults: its paper variant (tiny with --quick), the config's fit steps
    sub_args = argparse.Namespace(**dict(vars(args), variant=None, fit_steps=None))
    return importlib.import_module(f"gazejax.bench.{name}").run(sub_args)


def _flop_rate(rec):
    """Achieved TFLOP/s (and fraction of the device's peak) of a record with XLA's FLOP count."""
    if rec.get("gflops") is None or rec.get("skipped"):
        return {}
    tflops = rec["gflops"] / rec["median_ms"]  # GFLOP per ms = TFLOP/s
    peak = peak_tflops()
    return dict(achieved_tflops=tflops, fraction_of_peak_flops=None if peak is None else tflops / peak)
