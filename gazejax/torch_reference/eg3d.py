"""EG3D's ``TriPlaneGenerator`` and ``DualDiscriminator`` in plain torch, any size.

Built from the StyleGAN2 layers, tri-plane renderer and super-resolution of
:mod:`.stylegan2` and :mod:`.eg3d_renderer` with the official module names
(``backbone.mapping``, ``backbone.synthesis.b{res}``, ``decoder.net``,
``superresolution``; the discriminator's ``b{res}``, ``mapping``, ``b4``), so
that :func:`gazejax.convert.eg3d.to_variables` maps their state_dicts to the
Flax modules of ``gazejax.methods.eg3d``. NCHW, float32, images in [-1, 1].

Rendering is deterministic (stratified samples at the middle of their bins,
importance samples at evenly spaced quantiles), as the Flax generator renders
without a ``render_key``; the synthesis noise is the layers' constant noise.
"""

import math

import numpy as np
import torch
import torch.nn.functional as F

from gazejax.torch_reference import eg3d_renderer as render_ref
from gazejax.torch_reference import stylegan2 as ref

def channel_rule(resolutions, channel_base, channel_max):
    """StyleGAN2's widths: ``{res: min(channel_base // res, channel_max)}``."""
    return {res: min(channel_base // res, channel_max) for res in resolutions}


def _normalize_2nd_moment(x):
    return x * (x.square().mean(dim=1, keepdim=True) + 1e-8).rsqrt()


class MappingNetwork(torch.nn.Module):
    """``z (N, z_dim), c (N, c_dim) -> ws (N, num_ws, w_dim)`` (``num_ws`` None: ``(N, w_dim)``)."""

    def __init__(self, z_dim, c_dim, w_dim, num_ws, num_layers, w_avg_beta=0.998):
        super().__init__()
        self.z_dim, self.num_ws, self.num_layers = z_dim, num_ws, num_layers
        self.embed = ref.FullyConnectedLayer(c_dim, w_dim)
        for i in range(num_layers):
            fan_in = z_dim + w_dim if i == 0 else w_dim
            setattr(self, f"fc{i}", ref.FullyConnectedLayer(fan_in, w_dim, activation="lrelu", lr_multiplier=0.01))
        if num_ws is not None and w_avg_beta is not None:
            self.register_buffer("w_avg", torch.zeros([w_dim]))

    def forward(self, z, c, truncation_psi=1, truncation_cutoff=None):
        y = _normalize_2nd_moment(self.embed(c))
        x = y if self.z_dim == 0 else torch.cat([_normalize_2nd_moment(z), y], dim=1)
        for i in range(self.num_layers):
            x = getattr(self, f"fc{i}")(x)
        if self.num_ws is None:
            return x
        x = x.unsqueeze(1).repeat([1, self.num_ws, 1])
        if truncation_psi != 1:
            x[:, :truncation_cutoff] = self.w_avg.lerp(x[:, :truncation_cutoff], truncation_psi)
        return x


class FirstSynthesisBlock(torch.nn.Module):
    """``SynthesisBlock`` with ``in_channels == 0``: const, conv1, torgb."""

    def __init__(self, out_channels, img_channels, w_dim):
        super().__init__()
        self.const = torch.nn.Parameter(torch.randn([out_channels, 4, 4]))
        self.conv1 = ref.SynthesisLayer(out_channels, out_channels, w_dim, 4)
        self.torgb = ref.ToRGBLayer(out_channels, img_channels, w_dim)

    def forward(self, x, img, ws, noise_mode):
        x = self.const.unsqueeze(0).repeat([ws.shape[0], 1, 1, 1])
        x = self.conv1(x, ws[:, 0], noise_mode)
        return x, self.torgb(x, ws[:, 1])


class SynthesisNetwork(torch.nn.Module):
    """``ws (N, num_ws, w_dim) -> (N, img_channels, resolution, resolution)`` ('skip' architecture)."""

    def __init__(self, resolution, img_channels, w_dim, channel_base, channel_max):
        super().__init__()
        self.resolutions = [2 ** i for i in range(2, int(math.log2(resolution)) + 1)]
        channels = channel_rule(self.resolutions, channel_base, channel_max)
        self.b4 = FirstSynthesisBlock(channels[4], img_channels, w_dim)
        for res in self.resolutions[1:]:
            setattr(self, f"b{res}", ref.SynthesisBlock(channels[res // 2], channels[res], w_dim, res, img_channels))

    def forward(self, ws, noise_mode):
        x = img = None
        w_index = 0
        for res in self.resolutions:
            n_conv = 1 if res == 4 else 2
            x, img = getattr(self, f"b{res}")(x, img, ws[:, w_index:w_index + n_conv + 1], noise_mode)
            w_index += n_conv
        return img


class StyleGAN2Backbone(torch.nn.Module):
    """Mapping (2 FC layers as EG3D's ``--map-depth``) and tri-plane synthesis."""

    def __init__(self, z_dim, c_dim, w_dim, resolution, plane_channels, channel_base, channel_max, mapping_layers=2):
        super().__init__()
        num_ws = 2 * int(math.log2(resolution)) - 2
        self.mapping = MappingNetwork(z_dim, c_dim, w_dim, num_ws, num_layers=mapping_layers)
        self.synthesis = SynthesisNetwork(resolution, 3 * plane_channels, w_dim, channel_base, channel_max)


class ImportanceRenderer(torch.nn.Module):
    """Stands for EG3D's renderer module in a snapshot (it holds no weights)."""


class TriPlaneGenerator(torch.nn.Module):
    """``z (N, z_dim), c_cond (N, 25), c_render (N, 25) -> {image, image_raw, image_depth}`` (NCHW).

    Defaults: the released FFHQ 512 generator (``ffhq512-128.pkl``).
    """

    def __init__(self, z_dim=512, w_dim=512, plane_resolution=256, plane_channels=32, channel_base=32768,
                 channel_max=512, decoder_hidden=64, sr_variant="8XDC", sr_widths=None,
                 neural_rendering_resolution=128, n_coarse=48, n_fine=48, ray_start=2.25, ray_end=3.3, c_dim=25):
        super().__init__()
        self.plane_channels = plane_channels
        self.backbone = StyleGAN2Backbone(z_dim, c_dim, w_dim, plane_resolution, plane_channels, channel_base,
                                          channel_max)
        self.renderer = ImportanceRenderer()
        self.decoder = render_ref.OSGDecoder(plane_channels, decoder_hidden, plane_channels)
        self.superresolution = ref.Superresolution(sr_variant, channels=plane_channels, w_dim=w_dim, widths=sr_widths)
        self.neural_rendering_resolution = neural_rendering_resolution
        self.rendering_kwargs = {
            "ray_start": ray_start, "ray_end": ray_end, "depth_resolution": n_coarse,
            "depth_resolution_importance": n_fine, "box_warp": 1, "c_scale": 1.0, "sr_antialias": True,
            "superresolution_module": f"training.superresolution.SuperresolutionHybrid{sr_variant}",
            "superresolution_noise_mode": "none",
        }

    def forward(self, z, c_cond, c_render, truncation_psi=1, truncation_cutoff=None):
        kw, r = self.rendering_kwargs, self.neural_rendering_resolution
        n_coarse, n_fine = kw["depth_resolution"], kw["depth_resolution_importance"]
        ws = self.backbone.mapping(z, c_cond, truncation_psi, truncation_cutoff)
        planes = self.backbone.synthesis(ws, "const")
        planes = planes.view(len(planes), 3, self.plane_channels, planes.shape[-2], planes.shape[-1])
        origins, dirs = render_ref.ray_sampler(c_render[:, :16].view(-1, 4, 4), c_render[:, 16:].view(-1, 3, 3), r)
        n, rays, _ = origins.shape
        jitter = torch.full((n, rays, n_coarse, 1), 0.5)
        u = ((torch.arange(n_fine) + 0.5) / n_fine).expand(n * rays, n_fine).contiguous()
        features, depth, _ = render_ref.render(planes, self.decoder, origins, dirs, kw["ray_start"], kw["ray_end"],
                                               jitter, u)
        feature_image = features.permute(0, 2, 1).reshape(n, -1, r, r)
        depth_image = depth.permute(0, 2, 1).reshape(n, 1, r, r)
        rgb = feature_image[:, :3]
        image = self.superresolution(rgb, feature_image, ws, noise_mode="none")
        return {"image": image, "image_raw": rgb, "image_depth": depth_image}


class DiscriminatorBlock(torch.nn.Module):
    """StyleGAN2 'resnet' block: (fromrgb,) conv0, conv1 down 2, 1x1 skip down 2."""

    def __init__(self, in_channels, tmp_channels, out_channels, img_channels):
        super().__init__()
        self.in_channels = in_channels
        if in_channels == 0:
            self.fromrgb = ref.Conv2dLayer(img_channels, tmp_channels, 1, activation="lrelu", conv_clamp=256)
        self.conv0 = ref.Conv2dLayer(tmp_channels, tmp_channels, 3, activation="lrelu", conv_clamp=256)
        self.conv1 = ref.Conv2dLayer(tmp_channels, out_channels, 3, activation="lrelu", down=2, conv_clamp=256)
        self.skip = ref.Conv2dLayer(tmp_channels, out_channels, 1, bias=False, down=2)

    def forward(self, x, img):
        if self.in_channels == 0:
            x = self.fromrgb(img)
        y = self.skip(x, gain=np.sqrt(0.5))
        x = self.conv0(x)
        x = self.conv1(x, gain=np.sqrt(0.5))
        return y.add_(x)


def _minibatch_std(x, group_size=4):
    n, c, h, w = x.shape
    g = min(group_size, n)
    y = x.reshape(g, -1, 1, c, h, w)
    y = y - y.mean(dim=0)
    y = (y.square().mean(dim=0) + 1e-8).sqrt()
    y = y.mean(dim=[2, 3, 4]).reshape(-1, 1, 1, 1).repeat(g, 1, h, w)
    return torch.cat([x, y], dim=1)


class DiscriminatorEpilogue(torch.nn.Module):
    """Minibatch std, conv, two FC layers, projection onto the camera embedding ``cmap``."""

    def __init__(self, channels, cmap_dim):
        super().__init__()
        self.cmap_dim = cmap_dim
        self.conv = ref.Conv2dLayer(channels + 1, channels, 3, activation="lrelu", conv_clamp=256)
        self.fc = ref.FullyConnectedLayer(channels * 16, channels, activation="lrelu")
        self.out = ref.FullyConnectedLayer(channels, cmap_dim)

    def forward(self, x, cmap):
        x = self.out(self.fc(self.conv(_minibatch_std(x)).flatten(1)))
        return (x * cmap).sum(dim=1, keepdim=True) * (1 / np.sqrt(self.cmap_dim))


class DualDiscriminator(torch.nn.Module):
    """``{'image': (N, 3, S, S), 'image_raw': (N, 3, r, r)}, c (N, 25) -> (N, 1)`` logits.

    Defaults: the released FFHQ 512 discriminator.
    """

    def __init__(self, resolution=512, channel_base=32768, channel_max=512, mapping_layers=8, c_dim=25):
        super().__init__()
        self.resolution = resolution
        self.resolutions = [2 ** i for i in range(int(math.log2(resolution)), 2, -1)]
        ch = channel_rule(self.resolutions + [4], channel_base, channel_max)
        for res in self.resolutions:
            setattr(self, f"b{res}", DiscriminatorBlock(ch[res] if res < resolution else 0, ch[res], ch[res // 2], 6))
        self.mapping = MappingNetwork(0, c_dim, ch[4], None, num_layers=mapping_layers, w_avg_beta=None)
        self.b4 = DiscriminatorEpilogue(ch[4], ch[4])
        self.register_buffer("resample_filter", ref.setup_filter())

    def forward(self, img, c):
        s = self.resolution
        raw = F.interpolate(img["image_raw"], size=(s, s), mode="bilinear", align_corners=False, antialias=True)
        img, x = torch.cat([img["image"], raw], 1), None
        for res in self.resolutions:
            x = getattr(self, f"b{res}")(x, img)
        return self.b4(x, self.mapping(None, c))
