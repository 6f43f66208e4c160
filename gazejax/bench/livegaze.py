"""``gazejax bench livegaze``: LiveGaze inference latency (the LiveGaze paper, Table 1).

The ``:paper`` model (Live3D normal encoder, 128^2 neural render with 48+48
samples, 8XDC super-resolution to 512^2), random weights, batch 1 and 16:
encode (image + gaze -> tri-plane), render (tri-plane + camera -> image) and
total (one jitted forward) latency, compile time, XLA's FLOP count of each
jitted function and the achieved fraction of the device's peak. The paper
reports 26 + 35 = 61 ms per image on an RTX 3090.

``--quick`` runs the ``:tiny`` model at batch 1 and 2 (a smoke test). On a CPU
the paper model runs batch 1 only: batch 16 at 512^2 takes minutes per call.
"""

import functools

import jax
import jax.numpy as jnp
import numpy as np

from gazejax.bench.devices import peak_tflops
from gazejax.bench.memory import ShapeTooBig
from gazejax.bench.timing import record, skipped_record, time_jax
from gazejax.geometry import camera_label
from gazejax.methods.livegaze.build import build_model, init_variables
from gazejax.train.config_loading import load_config


def _config_path():
    import pathlib  # noqa: PLC0415

    return pathlib.Path(__file__).resolve().parents[2] / "configs" / "livegaze.py"


def run(args):
    variant = "tiny" if args.quick else "paper"
    config = load_config(f"{_config_path()}:{variant}")
    on_cpu = jax.devices()[0].platform == "cpu"
    batches = (1, 2) if args.quick else ((1,) if on_cpu else (1, 16))
    runs = max(args.runs, 3 if args.quick else 20)
    return [measure(config, n, runs, args.budget_bytes, name=f"configs/livegaze.py:{variant}") for n in batches]


def measure(config, n, runs, budget_bytes, name):
    """One ``livegaze_inference`` record at batch ``n``, or a skipped record if a part does not fit."""
    model = build_model(config.model)
    r = config.model.output_resolution
    rng = np.random.default_rng(0)
    images = jnp.asarray(rng.uniform(size=(n, r, r, 3)), jnp.float32)
    gaze = jnp.asarray(rng.uniform(-0.3, 0.3, size=(n, 2)), jnp.float32)
    camera = camera_label(jnp.zeros(n), jnp.zeros(n))
    shapes = dict(batch=n, input=[r, r, 3], neural_resolution=config.model.neural_resolution,
                  samples_per_ray=config.model.n_coarse + config.model.n_fine)
    variables = jax.jit(functools.partial(init_variables, model))(jax.random.key(0), images, gaze, camera)
    encode = jax.jit(functools.partial(model.apply, method=model.encode))
    render = jax.jit(functools.partial(model.apply, method=model.render))
    total = jax.jit(model.apply)
    shapes["triplane"] = list(jax.eval_shape(encode, variables, images, gaze).shape[1:])
    timed = {}
    try:
        timed["encode"] = time_jax(encode, variables, images, gaze, runs=runs, warmup=3, budget_bytes=budget_bytes)
        planes = encode(variables, images, gaze)
        timed["render"] = time_jax(render, variables, planes, camera, runs=runs, warmup=3, budget_bytes=budget_bytes)
        timed["total"] = time_jax(total, variables, images, gaze, camera, runs=runs, warmup=3,
                                  budget_bytes=budget_bytes)
    except ShapeTooBig as too_big:
        return skipped_record("livegaze_inference", name, shapes, too_big)
    peak = peak_tflops()
    fields = {}
    for part, timing in timed.items():
        fields[f"{part}_ms"] = timing["median_ms"]
        fields[part] = timing
        if timing["gflops"] is not None and peak:
            timing["fraction_of_peak"] = timing["gflops"] * 1e9 / (timing["median_ms"] / 1e3) / (peak * 1e12)
    fields["total_ms_per_image"] = fields["total_ms"] / n
    # the whole forward's memory and compile time at the record's top level, like every benchmark's
    return record("livegaze_inference", name, shapes, memory=timed["total"]["memory"],
                  compile_ms=timed["total"]["compile_ms"], peak_tflops=peak,
                  paper_rtx3090_ms=dict(encode=26, render=35, total=61), **fields)
