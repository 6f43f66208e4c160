"""``gazejax bench render``: EG3D-style tri-plane volume rendering, JAX vs PyTorch.

Workload (EG3D FFHQ 512-128): a 3 x 32 x 256^2 tri-plane, 128^2 rays per image,
48 stratified + 48 importance samples through the OSG decoder (32 -> 64 -> 33),
MipRayMarcher2 compositing; batch 1 and 8. ``--quick``: 32^2 rays, 64^2
planes, 12 + 12 samples, batch 1 and 2.

Each record reports samples/s (batch x rays x 96 samples per render) for the
forward pass and forward+backward (gradients w.r.t. the tri-plane and decoder
weights of the mean colour), and an estimate of the bytes moved, so that on
an accelerator the fraction of its memory bandwidth ceiling can be read off
(``PEAK_BANDWIDTH_GBPS``; filled in automatically when the device is known).

The PyTorch side is the same math written in plain torch below (torch is an
optional dependency; without it the benchmark stops with a one-line error),
run on the CPU with all its threads.
"""

import dataclasses

import jax
import jax.numpy as jnp

import numpy as np

from gazejax.bench.timing import record, time_host, time_jax
from gazejax.cli import UsageError
from gazejax.geometry import camera_label, eg3d_rays
from gazejax.render.eg3d_renderer import render, triplane_field
from gazejax.render.osg_decoder import OSGDecoder

# Peak HBM/DRAM bandwidth in GB/s, matched as a substring of jax's device_kind.
PEAK_BANDWIDTH_GBPS = {
    "H200": 4800.0,
    "H100 PCIe": 2000.0,
    "H100": 3350.0,  # SXM
    "A100-SXM4-80GB": 2039.0,
    "A100": 1555.0,  # 40 GB and PCIe
    "L40S": 864.0,
    "L4": 300.0,
    "RTX 4090": 1008.0,
    "RTX 3090": 936.0,
    "V100": 900.0,
    "TPU v5p": 2765.0,
    "TPU v5 lite": 819.0,
    "TPU v4": 1200.0,
}


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


def _peak_bandwidth():
    dev = jax.devices()[0]
    if dev.platform == "cpu":
        return None
    kind = getattr(dev, "device_kind", "")
    return next((bw for name, bw in PEAK_BANDWIDTH_GBPS.items() if name in kind), None)


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
    peak = _peak_bandwidth()
    records = []
    for batch in w.batches:
        decoder, forward, grad = _jax_functions(w)
        planes, dec_vars, origins, dirs = _inputs(w, batch, decoder)
        samples = batch * w.rays_side**2 * (w.n_coarse + w.n_fine)
        traffic = bytes_moved(w, batch)
        shapes = dict(planes=list(planes.shape), rays=[batch, w.rays_side**2],
                      samples_per_ray=[w.n_coarse, w.n_fine])
        config = dataclasses.asdict(w) | dict(batch=batch)
        key = jax.random.key(1)
        for mode, fn, factor in (("forward", forward, 1), ("forward_backward", grad, 3)):
            t = time_jax(fn, planes, dec_vars, origins, dirs, key, runs=runs)
            rec = record(f"render/{mode}/jax", config, shapes, **t,
                         samples_per_s=samples / (t["median_ms"] / 1e3),
                         bytes_moved_estimate={k: v * factor for k, v in traffic.items()})
            if peak is not None:
                rec["peak_bandwidth_GBps"] = peak
                rec["bandwidth_fraction"] = {
                    k: v * factor / (t["median_ms"] / 1e3) / (peak * 1e9) for k, v in traffic.items()
                }
            records.append(rec)
            call = _torch_call(torch, planes, dec_vars, origins, dirs, w, backward=factor == 3)
            tt = time_host(call, runs=runs)
            records.append(record(f"render/{mode}/torch", config, shapes, **tt,
                                  samples_per_s=samples / (tt["median_ms"] / 1e3),
                                  torch_version=torch.__version__, torch_device="cpu",
                                  torch_threads=torch.get_num_threads(),
                                  jax_speedup_vs_torch=tt["median_ms"] / t["median_ms"]))
    return records


def _torch_call(torch, planes, dec_vars, origins, dirs, w, backward):
    """A no-argument callable running the same render in plain PyTorch (EG3D's formulation)."""
    F = torch.nn.functional
    t = lambda a: torch.from_numpy(np.array(a))  # noqa: E731
    planes_t = t(planes).permute(0, 1, 4, 2, 3).contiguous().requires_grad_(backward)  # (N, 3, C, H, W)
    params = dec_vars["params"]
    layers = [(t(params[n]["kernel"]).requires_grad_(backward), t(params[n]["bias"]).requires_grad_(backward))
              for n in ("net_0", "net_2")]
    origins_t, dirs_t = t(origins), t(dirs)
    n, r, _ = origins_t.shape
    gen = torch.Generator().manual_seed(0)

    def field(points):
        m = points.shape[1]
        coords = torch.stack([points[..., [0, 1]], points[..., [0, 2]], points[..., [2, 0]]], 1) * 2.0
        feats = F.grid_sample(planes_t.reshape(n * 3, w.channels, w.plane_side, w.plane_side),
                              coords.reshape(n * 3, 1, m, 2), mode="bilinear", padding_mode="zeros",
                              align_corners=False)
        x = feats.reshape(n, 3, w.channels, m).mean(1).transpose(1, 2)
        for i, (kernel, bias) in enumerate(layers):
            x = x @ (kernel / kernel.shape[0] ** 0.5) + bias
            x = F.softplus(x) if i == 0 else x
        return torch.sigmoid(x[..., 1:]) * 1.002 - 0.001, x[..., :1]

    def evaluate(depths):
        s = depths.shape[-1]
        points = origins_t[:, :, None] + depths[..., None] * dirs_t[:, :, None]
        rgb, sigma = field(points.reshape(n, r * s, 3))
        return rgb.reshape(n, r, s, -1), sigma.reshape(n, r, s, 1)

    def march(colors, sigma, depths):
        deltas = depths[..., 1:] - depths[..., :-1]
        colors_mid = (colors[..., :-1, :] + colors[..., 1:, :]) / 2
        sigma_mid = F.softplus((sigma[..., :-1, 0] + sigma[..., 1:, 0]) / 2 - 1)
        alpha = 1 - torch.exp(-sigma_mid * deltas)
        shifted = torch.cat([torch.ones_like(alpha[..., :1]), 1 - alpha + 1e-10], -1)
        weights = alpha * torch.cumprod(shifted, -1)[..., :-1]
        depth = (weights * (depths[..., 1:] + depths[..., :-1]) / 2).sum(-1) / weights.sum(-1)
        return (weights[..., None] * colors_mid).sum(-2), depth, weights

    def importance(depths, weights):
        wts = F.max_pool1d(weights.reshape(n * r, 1, -1), 2, 1, padding=1)
        wts = F.avg_pool1d(wts, 2, 1).reshape(n * r, -1)[:, 1:-1] + 0.01 + 1e-5
        cdf = torch.cumsum(wts / wts.sum(-1, keepdim=True), -1)
        cdf = torch.cat([torch.zeros_like(cdf[:, :1]), cdf], -1)
        bins = ((depths[..., 1:] + depths[..., :-1]) / 2).reshape(n * r, -1)
        u = torch.rand(n * r, w.n_fine, generator=gen)
        idx = torch.searchsorted(cdf, u, right=True)
        lo, hi = (idx - 1).clamp_min(0), idx.clamp_max(wts.shape[-1])
        c_lo, c_hi = cdf.gather(1, lo), cdf.gather(1, hi)
        b_lo, b_hi = bins.gather(1, lo), bins.gather(1, hi)
        denom = torch.where(c_hi - c_lo < 1e-5, torch.ones_like(c_lo), c_hi - c_lo)
        return (b_lo + (u - c_lo) / denom * (b_hi - b_lo)).reshape(n, r, -1).detach()

    def forward():
        step = (w.ray_end - w.ray_start) / (w.n_coarse - 1)
        depths = w.ray_start + (torch.arange(w.n_coarse) + torch.rand(n, r, w.n_coarse, generator=gen)) * step
        colors, sigma = evaluate(depths)
        _, _, weights = march(colors, sigma, depths)
        fine = importance(depths, weights)
        f_colors, f_sigma = evaluate(fine)
        all_depths, order = torch.sort(torch.cat([depths, fine], -1), -1)
        def merged(a, b):
            return torch.cat([a, b], -2).gather(-2, order[..., None].expand(-1, -1, -1, a.shape[-1]))

        return march(merged(colors, f_colors), merged(sigma, f_sigma), all_depths)

    def call():
        if backward:
            forward()[0].mean().backward()
        else:
            with torch.no_grad():
                forward()

    return call
