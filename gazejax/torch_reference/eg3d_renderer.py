"""EG3D's tri-plane rendering in plain torch: plane sampling, the OSG decoder,
MipRayMarcher2, stratified and importance sampling, ray-box limits, the ray
sampler, and :func:`render`, the two-pass ImportanceRenderer over a tri-plane.

Written from NVlabs/eg3d (``volumetric_rendering/``, ``triplane.py``), NCHW,
float32, with the released checkpoints' state_dict key names. The decoder is
made of StyleGAN2 ``FullyConnectedLayer``s, so its state_dict converts with
:func:`gazejax.torch_reference.stylegan2.to_flax` (importable from here too).
"""

import torch
import torch.nn.functional as F

from gazejax.torch_reference.stylegan2 import FullyConnectedLayer, to_flax

__all__ = [
    "OSGDecoder", "mip_ray_marcher2", "ray_limits_box", "ray_sampler", "render", "sample_from_planes",
    "sample_importance", "sample_pdf", "sample_stratified", "sample_stratified_auto", "to_flax",
]


def sample_from_planes(planes, coordinates, box_warp):
    """planes (N, 3, C, H, W), coordinates (N, M, 3) -> (N, 3, M, C)."""
    n, n_planes, c, h, w = planes.shape
    m = coordinates.shape[1]
    axes = torch.tensor([[[1, 0, 0], [0, 1, 0], [0, 0, 1]],
                         [[1, 0, 0], [0, 0, 1], [0, 1, 0]],
                         [[0, 0, 1], [1, 0, 0], [0, 1, 0]]], dtype=torch.float32)
    coords = (2 / box_warp) * coordinates
    coords = coords.unsqueeze(1).expand(-1, n_planes, -1, -1).reshape(n * n_planes, m, 3)
    inv = torch.linalg.inv(axes).unsqueeze(0).expand(n, -1, -1, -1).reshape(n * n_planes, 3, 3)
    proj = torch.bmm(coords, inv)[..., :2].unsqueeze(1)
    out = F.grid_sample(planes.reshape(n * n_planes, c, h, w), proj, mode="bilinear",
                        padding_mode="zeros", align_corners=False)
    return out.permute(0, 3, 2, 1).reshape(n, n_planes, m, c)


class OSGDecoder(torch.nn.Module):
    def __init__(self, n_features=32, hidden=64, out_dim=32):
        super().__init__()
        self.net = torch.nn.Sequential(FullyConnectedLayer(n_features, hidden), torch.nn.Softplus(),
                                       FullyConnectedLayer(hidden, 1 + out_dim))

    def forward(self, sampled_features):
        x = sampled_features.mean(1)
        n, m, c = x.shape
        x = self.net(x.reshape(n * m, c)).reshape(n, m, -1)
        return torch.sigmoid(x[..., 1:]) * (1 + 2 * 0.001) - 0.001, x[..., 0:1]


def mip_ray_marcher2(colors, densities, depths, white_back=False):
    """(N, R, S, C), (N, R, S, 1), (N, R, S, 1) -> rgb (N, R, C) in [-1, 1], depth, weights."""
    deltas = depths[:, :, 1:] - depths[:, :, :-1]
    colors_mid = (colors[:, :, :-1] + colors[:, :, 1:]) / 2
    densities_mid = F.softplus((densities[:, :, :-1] + densities[:, :, 1:]) / 2 - 1)
    depths_mid = (depths[:, :, :-1] + depths[:, :, 1:]) / 2
    alpha = 1 - torch.exp(-densities_mid * deltas)
    shifted = torch.cat([torch.ones_like(alpha[:, :, :1]), 1 - alpha + 1e-10], -2)
    weights = alpha * torch.cumprod(shifted, -2)[:, :, :-1]
    rgb = torch.sum(weights * colors_mid, -2)
    total = weights.sum(2)
    depth = torch.sum(weights * depths_mid, -2) / total
    depth = torch.nan_to_num(depth, float("inf"))
    depth = torch.clamp(depth, torch.min(depths), torch.max(depths))
    if white_back:
        rgb = rgb + 1 - total
    return rgb * 2 - 1, depth, weights


def sample_stratified(n_rays_shape, ray_start, ray_end, n, jitter):
    """Float ray_start/ray_end; jitter (N, R, n, 1) in [0, 1)."""
    d = torch.linspace(ray_start, ray_end, n).reshape(1, 1, n, 1).expand(*n_rays_shape, n, 1)
    return d + jitter * (ray_end - ray_start) / (n - 1)


def sample_stratified_auto(ray_start, ray_end, n, jitter):
    """Tensor ray_start/ray_end (N, R, 1), EG3D math_utils.linspace path."""
    steps = torch.arange(n, dtype=torch.float32) / (n - 1)
    d = ray_start[..., None, :] + steps.reshape(1, 1, n, 1) * (ray_end - ray_start)[..., None, :]
    return d + jitter * ((ray_end - ray_start) / (n - 1))[..., None, :]


def sample_pdf(bins, weights, u, eps=1e-5):
    n_rays, n_w = weights.shape
    weights = weights + eps
    pdf = weights / torch.sum(weights, -1, keepdim=True)
    cdf = torch.cumsum(pdf, -1)
    cdf = torch.cat([torch.zeros_like(cdf[:, :1]), cdf], -1)
    n_imp = u.shape[1]
    inds = torch.searchsorted(cdf, u.contiguous(), right=True)
    below = torch.clamp_min(inds - 1, 0)
    above = torch.clamp_max(inds, n_w)
    idx = torch.stack([below, above], -1).view(n_rays, 2 * n_imp)
    cdf_g = torch.gather(cdf, 1, idx).view(n_rays, n_imp, 2)
    bins_g = torch.gather(bins, 1, idx).view(n_rays, n_imp, 2)
    denom = cdf_g[..., 1] - cdf_g[..., 0]
    denom[denom < eps] = 1
    return bins_g[..., 0] + (u - cdf_g[..., 0]) / denom * (bins_g[..., 1] - bins_g[..., 0])


def sample_importance(z_vals, weights, u):
    """z_vals (N, R, S, 1), weights (N, R, S-1, 1), u (N*R, n_imp) -> (N, R, n_imp, 1), no gradient."""
    n, r, s, _ = z_vals.shape
    with torch.no_grad():
        z = z_vals.reshape(n * r, s)
        w = weights.reshape(n * r, -1)
        w = F.max_pool1d(w.unsqueeze(1), 2, 1, padding=1)
        w = F.avg_pool1d(w, 2, 1).squeeze(1)
        w = w + 0.01
        mids = 0.5 * (z[:, :-1] + z[:, 1:])
        return sample_pdf(mids, w[:, 1:-1], u).reshape(n, r, -1, 1)


def render(planes, decoder, origins, dirs, ray_start, ray_end, jitter, u, box_warp=1.0):
    """ImportanceRenderer.forward over a tri-plane: coarse pass, importance pass, merged composite.

    Args:
      planes: (N, 3, C, H, W) tri-planes.
      decoder: an :class:`OSGDecoder`.
      origins, dirs: (N, R, 3) rays.
      ray_start, ray_end: near and far depth (floats).
      jitter: (N, R, S, 1) stratified jitter in [0, 1) for S coarse samples.
      u: (N * R, n_fine) importance-sampling uniforms.
      box_warp: side of the cube the planes cover.

    Returns:
      rgb (N, R, C) in [-1, 1], depth (N, R, 1), weights (N, R, S + n_fine - 1, 1).
    """
    n, r, _ = origins.shape

    def evaluate(depths):
        s = depths.shape[2]
        points = (origins.unsqueeze(-2) + depths * dirs.unsqueeze(-2)).reshape(n, r * s, 3)
        colors, densities = decoder(sample_from_planes(planes, points, box_warp))
        return colors.reshape(n, r, s, -1), densities.reshape(n, r, s, 1)

    depths = sample_stratified((n, r), ray_start, ray_end, jitter.shape[2], jitter)
    colors, densities = evaluate(depths)
    _, _, weights = mip_ray_marcher2(colors, densities, depths)
    fine = sample_importance(depths, weights, u)
    fine_colors, fine_densities = evaluate(fine)
    all_depths, order = torch.sort(torch.cat([depths, fine], 2), 2)

    def merged(coarse, fine):
        both = torch.cat([coarse, fine], 2)
        return torch.gather(both, 2, order.expand(-1, -1, -1, both.shape[-1]))

    return mip_ray_marcher2(merged(colors, fine_colors), merged(densities, fine_densities), all_depths)


def ray_limits_box(origins, dirs, box_side):
    """EG3D math_utils.get_ray_limits_box: (..., 3) -> tmin, tmax (..., 1); invalid = (-1, -2)."""
    shape = origins.shape
    o = origins.reshape(-1, 3)
    d = dirs.reshape(-1, 3)
    bounds = torch.tensor([[-box_side / 2] * 3, [box_side / 2] * 3])
    inv = 1 / d
    sign = (inv < 0).long()
    tmin = (bounds.index_select(0, sign[:, 0])[:, 0] - o[:, 0]) * inv[:, 0]
    tmax = (bounds.index_select(0, 1 - sign[:, 0])[:, 0] - o[:, 0]) * inv[:, 0]
    valid = torch.ones_like(tmin, dtype=torch.bool)
    for a in (1, 2):
        amin = (bounds.index_select(0, sign[:, a])[:, a] - o[:, a]) * inv[:, a]
        amax = (bounds.index_select(0, 1 - sign[:, a])[:, a] - o[:, a]) * inv[:, a]
        valid[torch.logical_or(tmin > amax, amin > tmax)] = False
        tmin = torch.max(tmin, amin)
        tmax = torch.min(tmax, amax)
    tmin[~valid] = -1
    tmax[~valid] = -2
    return tmin.reshape(*shape[:-1], 1), tmax.reshape(*shape[:-1], 1)


def ray_sampler(cam2world, intrinsics, resolution):
    """EG3D RaySampler: (N, 4, 4), (N, 3, 3) -> origins, dirs (N, R*R, 3)."""
    n = cam2world.shape[0]
    loc = cam2world[:, :3, 3]
    fx, fy = intrinsics[:, 0, 0], intrinsics[:, 1, 1]
    cx, cy, sk = intrinsics[:, 0, 2], intrinsics[:, 1, 2], intrinsics[:, 0, 1]
    uv = torch.stack(torch.meshgrid(torch.arange(resolution, dtype=torch.float32),
                                    torch.arange(resolution, dtype=torch.float32), indexing="ij"))
    uv = uv * (1.0 / resolution) + (0.5 / resolution)
    uv = uv.flip(0).reshape(2, -1).transpose(1, 0).unsqueeze(0).repeat(n, 1, 1)
    x_cam, y_cam = uv[:, :, 0], uv[:, :, 1]
    z_cam = torch.ones((n, resolution * resolution))
    x_lift = (x_cam - cx[:, None] + cy[:, None] * sk[:, None] / fy[:, None] - sk[:, None] * y_cam / fy[:, None]) / fx[:, None] * z_cam
    y_lift = (y_cam - cy[:, None]) / fy[:, None] * z_cam
    cam_rel = torch.stack((x_lift, y_lift, z_cam, torch.ones_like(z_cam)), dim=-1)
    world = torch.bmm(cam2world, cam_rel.permute(0, 2, 1)).permute(0, 2, 1)[:, :, :3]
    dirs = F.normalize(world - loc[:, None, :], dim=2)
    return loc.unsqueeze(1).repeat(1, dirs.shape[1], 1), dirs
