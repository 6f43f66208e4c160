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

from gazejax.bench.timing import record, time_jax, xla_flops
from gazejax.geometry import camera_label
from gazejax.methods.livegaze.build import build_model, init_variables
from gazejax.train.config_loading import load_config

# Dense peak TFLOP/s of float32 matmuls as XLA runs them by default on these
# GPUs (TF32 tensor cores), by jax device_kind.
PEAK_TFLOPS = {
    "NVIDIA H100 80GB HBM3": 494.7,
    "NVIDIA H100 PCIe": 378.0,
    "NVIDIA H200": 494.7,
    "NVIDIA A100-SXM4-80GB": 156.0,
    "NVIDIA A100-SXM4-40GB": 156.0,
    "NVIDIA GeForce RTX 3090": 35.6,
}


def _config_path():
    import pathlib  # noqa: PLC0415

    return pathlib.Path(__file__).resolve().parents[2] / "configs" / "livegaze.py"


def run(args):
    variant = "tiny" if args.quick else "paper"
    config = load_config(f"{_config_path()}:{variant}")
    model = build_model(config.model)
    on_cpu = jax.devices()[0].platform == "cpu"
    batches = (1, 2) if args.quick else ((1,) if on_cpu else (1, 16))
    runs = max(args.runs, 3 if args.quick else 20)
    peak = PEAK_TFLOPS.get(getattr(jax.devices()[0], "device_kind", ""))
    r = config.model.output_resolution
    rng = np.random.default_rng(0)
    records = []
    for n in batches:
        images = jnp.asarray(rng.uniform(size=(n, r, r, 3)), jnp.float32)
        gaze = jnp.asarray(rng.uniform(-0.3, 0.3, size=(n, 2)), jnp.float32)
        camera = camera_label(jnp.zeros(n), jnp.zeros(n))
        variables = jax.jit(functools.partial(init_variables, model))(jax.random.key(0), images, gaze, camera)
        encode = jax.jit(functools.partial(model.apply, method=model.encode))
        # a separate jit for the render's input, so encode's compile is timed below
        planes = jax.jit(lambda v, x, g: model.apply(v, x, g, method=model.encode))(variables, images, gaze)
        render = jax.jit(functools.partial(model.apply, method=model.render))
        total = jax.jit(model.apply)
        parts = {
            "encode": (encode, (variables, images, gaze)),
            "render": (render, (variables, planes, camera)),
            "total": (total, (variables, images, gaze, camera)),
        }
        fields = {}
        for name, (fn, fn_args) in parts.items():
            timing = time_jax(fn, *fn_args, runs=runs, warmup=3)
            flops = xla_flops(fn, *fn_args)
            fields[f"{name}_ms"] = timing["median_ms"]
            fields[name] = dict(timing, gflops=None if flops is None else flops / 1e9)
            if flops is not None and peak:
                fields[name]["fraction_of_peak"] = flops / (timing["median_ms"] / 1e3) / (peak * 1e12)
        fields["total_ms_per_image"] = fields["total_ms"] / n
        records.append(record(
            "livegaze_inference", f"configs/livegaze.py:{variant}",
            shapes=dict(batch=n, input=[r, r, 3], neural_resolution=config.model.neural_resolution,
                        samples_per_ray=config.model.n_coarse + config.model.n_fine,
                        triplane=list(planes.shape[1:])),
            peak_tflops=peak, paper_rtx3090_ms=dict(encode=26, render=35, total=61), **fields,
        ))
    return records
