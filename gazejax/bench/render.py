"""``gazejax bench render``: EG3D-style tri-plane volume rendering, JAX vs PyTorch.

Workload (EG3D FFHQ 512-128): a 3 x 32 x 256^2 tri-plane, 128^2 rays per image,
48 stratified + 48 importance samples through the OSG decoder (32 -> 64 -> 33),
MipRayMarcher2 compositing; batch 1 and 8. ``--quick``: 32^2 rays, 64^2
planes, 12 + 12 samples, batch 1 and 2.

Each record reports samples/s (batch x rays x 96 samples per render) for the
forward pass and forward+backward (gradients w.r.t. the tri-plane and decoder
weights of the mean colour), and an estimate of the bytes moved, so that on
an accelerator the fraction of its memory bandwidth ceiling can be read off
(:mod:`gazejax.bench.devices`; filled in automatically when the device is known).

The PyTorch side is EG3D's ImportanceRenderer in plain torch
(:func:`gazejax.torch_reference.eg3d_renderer.render`, the reference the
parity tests check the JAX renderer against; torch is an optional dependency,
without it the benchmark stops with a one-line error), run on the CPU with
all its threads. The two sides are timed by turns, call after call, so that
both see the same load on a shared machine. A render whose compiled peak
memory exceeds the budget (``--memory-budget-gb``) is recorded as skipped
with the bytes it needs (batch 8 forward+backward needs 22.5 GB).
"""

import dataclasses

import jax
import jax.numpy as jnp

import numpy as np

from gazejax.bench.devices import peak_bandwidth_gbps
from gazejax.bench.memory import ShapeTooBig
from gazejax.bench.timing import compile_checked, record, skipped_record, time_alternating
from gazejax.cli import UsageError
from gazejax.geometry import camera_label, eg3d_rays
from gazejax.render.eg3d_renderer import render, triplane_field
from gazejax.render.osg_decoder import OSGDecoder


@dataclasses.dataclass(frozen=True)
class Workload:
    rays_side: int
    plane_side: int
    n_coarse: int
    n_fine: int
    batches: tuple
    channels: int = 32
    ray_start: float = 2.25
    ray_end: float = 3.3


FULL = Workload(rays_side=128, plane_side=256, n_coarse=48, n_fine=48, batches=(1, 8))
QUICK = Workload(rays_side=32, plane_side=64, n_coarse=12, n_fine=12, batches=(1, 2))


def bytes_moved(w, batch):
    """Forward-pass traffic estimates (bytes).

    ``compulsory``: read each tri-plane once, write and re-read each sample's
    33 decoder outputs once, write the per-ray outputs. ``gather``: as if
    every bilinear tap (3 planes x 4 taps x C floats) came from memory, with
    no cache reuse. Forward+backward is taken as 3x forward.
    """
    samples = batch * w.rays_side**2 * (w.n_coarse + w.n_fine)
    planes = batch * 3 * w.plane_side**2 * w.channels * 4
    per_sample_out = (w.channels + 1) * 4 * 2
    rays_out = batch * w.rays_side**2 * (w.channels + 2) * 4
    return dict(
        compulsory=planes + samples * per_sample_out + rays_out,
        gather=samples * (3 * 4 * w.channels * 4 + per_sample_out) + rays_out,
    )


def _jax_functions(w):
    decoder = OSGDecoder(out_features=w.channels)
    opts = dict(ray_start=w.ray_start, ray_end=w.ray_end, n_coarse=w.n_coarse, n_fine=w.n_fine)

    def forward(planes, dec_vars, origins, dirs, key):
        out = render(triplane_field(decoder, dec_vars, planes, 1.0), origins, dirs, key, **opts)
        return out["rgb"], out["depth"]

    def loss(planes, dec_vars, origins, dirs, key):
        return jnp.mean(forward(planes, dec_vars, origins, dirs, key)[0])

    return decoder, jax.jit(forward), jax.jit(jax.grad(loss, argnums=(0, 1)))


def _inputs(w, batch, decoder):
    k_planes, k_dec = jax.random.split(jax.random.key(0))
    planes = jax.random.normal(k_planes, (batch, 3, w.plane_side, w.plane_side, w.channels))
    dec_vars = decoder.init(k_dec, jnp.zeros((1, 1, w.channels)))
    yaw = jnp.linspace(-0.3, 0.3, batch)
    origins, dirs = eg3d_rays(camera_label(yaw, 0.1 * yaw), w.rays_side)
    return planes, dec_vars, origins, dirs


def run(args):
    try:
        import torch
    except ImportError:
        raise UsageError("gazejax bench render needs PyTorch for its reference timings: pip install 'gazejax[torch]'")
    w = QUICK if args.quick else FULL
    runs = max(args.runs, 10)
    records = []
    for batch in w.batches:
        for mode in ("forward", "forward_backward"):
            records += measure(w, batch, mode, runs, args.budget_bytes, torch)
    return records


def measure(w, batch, mode, runs, budget_bytes, torch=None):
    """Records of one render: JAX and, when ``torch`` is given, PyTorch timed by turns.

    A render whose compiled peak memory exceeds ``budget_bytes`` gives one
    skipped record (the PyTorch side is not run either).
    """
    decoder, forward, grad = _jax_functions(w)
    fn, factor = (forward, 1) if mode == "forward" else (grad, 3)
    planes, dec_vars, origins, dirs = _inputs(w, batch, decoder)
    args = (planes, dec_vars, origins, dirs, jax.random.key(1))
    samples = batch * w.rays_side**2 * (w.n_coarse + w.n_fine)
    shapes = dict(planes=list(planes.shape), rays=[batch, w.rays_side**2],
                  samples_per_ray=[w.n_coarse, w.n_fine])
    config = dataclasses.asdict(w) | dict(batch=batch)
    try:
        compiled, measured = compile_checked(fn, *args, budget_bytes=budget_bytes)
    except ShapeTooBig as too_big:
        return [skipped_record(f"render/{mode}/jax", config, shapes, too_big, samples=samples)]
    calls = {"jax": lambda: jax.block_until_ready(compiled(*args))}
    if torch is not None:
        calls["torch"] = _torch_call(torch, planes, dec_vars, origins, dirs, w, backward=mode != "forward")
    timed = time_alternating(calls, runs=runs)
    t = dict(measured, **timed["jax"])
    traffic = bytes_moved(w, batch)
    rec = record(f"render/{mode}/jax", config, shapes, **t,
                 samples_per_s=samples / (t["median_ms"] / 1e3),
                 bytes_moved_estimate={k: v * factor for k, v in traffic.items()})
    peak = peak_bandwidth_gbps()
    if peak is not None:
        rec["peak_bandwidth_GBps"] = peak
        rec["bandwidth_fraction"] = {
            k: v * factor / (t["median_ms"] / 1e3) / (peak * 1e9) for k, v in traffic.items()
        }
    records = [rec]
    if torch is not None:
        tt = timed["torch"]
        records.append(record(f"render/{mode}/torch", config, shapes, **tt,
                              samples_per_s=samples / (tt["median_ms"] / 1e3),
                              torch_version=torch.__version__, torch_device="cpu",
                              torch_threads=torch.get_num_threads(),
                              jax_speedup_vs_torch=tt["median_ms"] / t["median_ms"]))
    return records


def _torch_call(torch, planes, dec_vars, origins, dirs, w, backward):
    """A no-argument callable running the same render in plain PyTorch (EG3D's formulation)."""
    from gazejax.torch_reference import eg3d_renderer  # noqa: PLC0415

    def t(a):
        return torch.from_numpy(np.array(a))

    planes_t = t(planes).permute(0, 1, 4, 2, 3).contiguous().requires_grad_(backward)  # (N, 3, C, H, W)
    params = dec_vars["params"]
    decoder = eg3d_renderer.OSGDecoder(w.channels, params["net_0"]["kernel"].shape[1], w.channels)
    state = {}
    for i in (0, 2):  # the torch keys of gazejax.render.osg_decoder's table
        state[f"net.{i}.weight"] = t(params[f"net_{i}"]["kernel"]).T
        state[f"net.{i}.bias"] = t(params[f"net_{i}"]["bias"])
    decoder.load_state_dict(state)
    decoder.requires_grad_(backward)
    origins_t, dirs_t = t(origins), t(dirs)
    n, r, _ = origins_t.shape
    gen = torch.Generator().manual_seed(0)

    def forward():
        jitter = torch.rand(n, r, w.n_coarse, 1, generator=gen)
        u = torch.rand(n * r, w.n_fine, generator=gen)
        return eg3d_renderer.render(planes_t, decoder, origins_t, dirs_t, w.ray_start, w.ray_end, jitter, u)

    def call():
        if backward:
            forward()[0].mean().backward()
        else:
            with torch.no_grad():
                forward()

    return call
