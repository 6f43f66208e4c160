"""``gazejax bench scaling``: how the render's and LiveGaze's time and memory grow.

Two sweeps, each at least four points, batch 1:

- ``samples``: samples per ray at a fixed number of rays, so the x value is
  rays x samples (the EG3D render forward and forward+backward at 64^2 rays,
  3 x 32 x 256^2 planes; LiveGaze inference with its neural render at 64^2
  rays);
- ``resolution``: output side at fixed samples per ray (the render: rays =
  side^2, 48 + 48 samples; LiveGaze: the ``:tiny`` architecture, whose render
  is half the output side and which has no fixed-size super-resolution, so
  input and output grow together).

Each point is a record (median time, compile time, XLA's compiled memory
analysis; a point over the memory budget is a skipped record with the bytes
it needs). On a CPU, LiveGaze runs its ``:synthgaze`` model on the samples
sweep (the ``:paper`` one takes seconds per image there); ``--quick`` shrinks
everything for smoke tests. The records go to ``--json`` and a plot of both
sweeps (time and peak memory against x, log-log) next to it as a PNG, drawn
with matplotlib when it is installed.
"""

import dataclasses
import pathlib
import sys

import jax
import jax.numpy as jnp
import numpy as np

from gazejax.bench import render as render_bench
from gazejax.bench.memory import ShapeTooBig
from gazejax.bench.timing import record, skipped_record, time_jax
from gazejax.geometry import camera_label
from gazejax.methods.livegaze.build import build_model, init_variables
from gazejax.train.config_loading import load_config

LIVEGAZE_CONFIG = pathlib.Path(__file__).resolve().parents[2] / "configs" / "livegaze.py"


@dataclasses.dataclass(frozen=True)
class Sweeps:
    render: render_bench.Workload  # the fixed part of the render's sweeps
    render_samples: tuple  # n_coarse (= n_fine) per point, at render.rays_side
    render_sides: tuple  # rays per side, at render.n_coarse + render.n_fine
    livegaze_variant: str  # the model of LiveGaze's samples sweep
    livegaze_rays_side: int
    livegaze_samples: tuple  # n_coarse (= n_fine) per point
    livegaze_sides: tuple  # output sides of the :tiny architecture (multiples of 32; render at half)


FULL = Sweeps(
    render=render_bench.Workload(rays_side=64, plane_side=256, n_coarse=48, n_fine=48, batches=(1,)),
    render_samples=(12, 24, 48, 96), render_sides=(32, 64, 96, 128),
    livegaze_variant="paper", livegaze_rays_side=64, livegaze_samples=(12, 24, 48, 96),
    livegaze_sides=(64, 128, 256, 512),
)
CPU = dataclasses.replace(FULL, livegaze_variant="synthgaze")
QUICK = Sweeps(
    render=render_bench.Workload(rays_side=16, plane_side=32, n_coarse=8, n_fine=8, batches=(1,)),
    render_samples=(2, 4, 6, 8), render_sides=(8, 12, 16, 24),
    livegaze_variant="tiny", livegaze_rays_side=16, livegaze_samples=(2, 4, 6, 8),
    livegaze_sides=(32, 64, 96, 128),
)


def run(args):
    on_cpu = jax.devices()[0].platform == "cpu"
    sweeps = QUICK if args.quick else (CPU if on_cpu else FULL)
    runs = 2 if args.quick else max(3, min(args.runs, 10))
    records = []
    for n in sweeps.render_samples:
        w = dataclasses.replace(sweeps.render, n_coarse=n, n_fine=n)
        for mode in ("forward", "forward_backward"):
            records.append(_point("samples", w.rays_side**2 * 2 * n,
                                  render_bench.measure(w, 1, mode, runs, args.budget_bytes)[0]))
    for side in sweeps.render_sides:
        w = dataclasses.replace(sweeps.render, rays_side=side)
        for mode in ("forward", "forward_backward"):
            records.append(_point("resolution", side, render_bench.measure(w, 1, mode, runs, args.budget_bytes)[0]))
    r = sweeps.livegaze_rays_side
    for n in sweeps.livegaze_samples:
        overrides = dict(neural_resolution=r, n_coarse=n, n_fine=n)
        records.append(_point("samples", r * r * 2 * n,
                              _livegaze(sweeps.livegaze_variant, overrides, runs, args.budget_bytes)))
    for side in sweeps.livegaze_sides:
        overrides = dict(output_resolution=side, neural_resolution=side // 2)
        records.append(_point("resolution", side, _livegaze("tiny", overrides, runs, args.budget_bytes)))
    plot(records, pathlib.Path(args.json).with_suffix(".png"))
    return records


def _point(sweep, x, rec):
    rec["sweep"] = sweep
    rec["x"] = x
    rec["x_label"] = "rays x samples" if sweep == "samples" else "output side (pixels)"
    rec["series"] = _series(rec["name"])
    return rec


def _series(name):
    return {"render/forward/jax": "render forward", "render/forward_backward/jax": "render forward+backward"}.get(
        name, "LiveGaze inference")


def _livegaze(variant, overrides, runs, budget_bytes):
    """One LiveGaze inference (one jitted forward, batch 1) with ``overrides`` of its model config."""
    config = load_config(f"{LIVEGAZE_CONFIG}:{variant}",
                         [f"--config.model.{k}={v}" for k, v in overrides.items()])
    model = build_model(config.model)
    r = config.model.output_resolution
    rng = np.random.default_rng(0)
    images = jnp.asarray(rng.uniform(size=(1, r, r, 3)), jnp.float32)
    gaze = jnp.asarray(rng.uniform(-0.3, 0.3, size=(1, 2)), jnp.float32)
    camera = camera_label(jnp.zeros(1), jnp.zeros(1))
    variables = jax.jit(lambda k: init_variables(model, k, images, gaze, camera))(jax.random.key(0))
    m = config.model
    shapes = dict(input=[1, r, r, 3], rays=m.neural_resolution**2, samples_per_ray=m.n_coarse + m.n_fine)
    name = f"configs/livegaze.py:{variant}"
    try:
        timing = time_jax(jax.jit(model.apply), variables, images, gaze, camera, runs=runs, warmup=1,
                          budget_bytes=budget_bytes)
    except ShapeTooBig as too_big:
        return skipped_record("livegaze_inference", name, shapes, too_big, overrides=overrides)
    return record("livegaze_inference", name, shapes, overrides=overrides, **timing)


def plot(records, path):
    """Time and peak memory against x for both sweeps, one line per series; False without matplotlib."""
    try:
        import matplotlib  # noqa: PLC0415

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt  # noqa: PLC0415
    except ImportError:
        print(f"matplotlib is not installed: no scaling plot written to {path} "
              "(pip install 'gazejax[notebooks]' to get one)", file=sys.stderr)
        return False
    fig, axes = plt.subplots(2, 2, figsize=(10, 8))
    for row, sweep in enumerate(("samples", "resolution")):
        points = [r for r in records if r["sweep"] == sweep and not r.get("skipped")]
        for series in dict.fromkeys(r["series"] for r in points):
            mine = sorted((r for r in points if r["series"] == series), key=lambda r: r["x"])
            xs = [r["x"] for r in mine]
            axes[row, 0].plot(xs, [r["median_ms"] for r in mine], "o-", label=series)
            axes[row, 1].plot(xs, [r["memory"]["peak_bytes"] / 1e6 for r in mine], "o-", label=series)
        ticks = sorted({r["x"] for r in points})
        for col, ylabel in enumerate(("median time (ms)", "compiled peak memory (MB)")):
            axes[row, col].set(xscale="log", yscale="log", ylabel=ylabel,
                               xlabel="rays x samples per ray" if sweep == "samples" else "output side (pixels)")
            # tick the measured points only: log axes' default minor labels overlap
            axes[row, col].set_xticks(ticks, [f"{x:,}" for x in ticks], minor=False)
            axes[row, col].set_xticks([], minor=True)
            axes[row, col].grid(True, which="both", alpha=0.3)
            axes[row, col].legend(fontsize=8)
    fig.suptitle(f"gazejax bench scaling, batch 1 ({records[0]['device']})")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return True
