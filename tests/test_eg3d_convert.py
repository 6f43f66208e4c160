"""``gazejax convert eg3d``: a release snapshot read without running its code, and parity with PyTorch.

The PyTorch EG3D here is built from the plain-torch StyleGAN2 layers, tri-plane
renderer and super-resolution of ``gazejax.torch_reference`` with the official
module names (``backbone.mapping``, ``backbone.synthesis.b{res}``,
``decoder.net``, ``superresolution``; the dual discriminator's ``b{res}``,
``mapping``, ``b4``), at small widths, random weights. It is pickled the way
EG3D's ``training_loop.py`` writes snapshots: a dict of whole modules, the
StyleGAN2 classes wrapped by ``torch_utils.persistence`` (their state plus
source code that a plain ``pickle.load`` would execute), the others
(``OSGDecoder``, the renderer, ``torch.nn`` containers) by import path.
"""

import copyreg
import math
import pickle
import sys
import types

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import torch
import torch.nn.functional as F

from gazejax.cli import main
from gazejax.convert import ConversionError, convert, save
from gazejax.convert.safe_unpickle import UnsafePickleError, load
from gazejax.geometry import camera_label
from gazejax.methods.eg3d.converted import discriminator_from_info, generator_from_info, load_converted
from gazejax.torch_reference import eg3d_renderer as ref_render
from gazejax.torch_reference import stylegan2 as ref

Z_DIM, W_DIM, C_DIM = 16, 16, 25
PLANE_RES, PLANE_CH, RAW_RES = 16, 8, 16
N_COARSE, N_FINE = 6, 6
D_RES = 128
RENDERING = {"ray_start": 2.25, "ray_end": 3.3, "depth_resolution": N_COARSE,
             "depth_resolution_importance": N_FINE, "box_warp": 1, "c_scale": 1.0, "sr_antialias": True,
             "superresolution_module": "training.superresolution.SuperresolutionHybrid2X",
             "superresolution_noise_mode": "none"}


def _normalize_2nd_moment(x):
    return x * (x.square().mean(dim=1, keepdim=True) + 1e-8).rsqrt()


class MappingNetwork(torch.nn.Module):
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

    def __init__(self, out_channels, img_channels):
        super().__init__()
        self.const = torch.nn.Parameter(torch.randn([out_channels, 4, 4]))
        self.conv1 = ref.SynthesisLayer(out_channels, out_channels, W_DIM, 4)
        self.torgb = ref.ToRGBLayer(out_channels, img_channels, W_DIM)

    def forward(self, x, img, ws, noise_mode):
        x = self.const.unsqueeze(0).repeat([ws.shape[0], 1, 1, 1])
        x = self.conv1(x, ws[:, 0], noise_mode)
        return x, self.torgb(x, ws[:, 1])


class SynthesisNetwork(torch.nn.Module):
    def __init__(self, resolution, img_channels, channels):
        super().__init__()
        self.resolutions = [2 ** i for i in range(2, int(math.log2(resolution)) + 1)]
        self.b4 = FirstSynthesisBlock(channels[4], img_channels)
        for res in self.resolutions[1:]:
            setattr(self, f"b{res}", ref.SynthesisBlock(channels[res // 2], channels[res], W_DIM, res, img_channels))

    def forward(self, ws, noise_mode):
        x = img = None
        w_index = 0
        for res in self.resolutions:
            n_conv = 1 if res == 4 else 2
            x, img = getattr(self, f"b{res}")(x, img, ws[:, w_index:w_index + n_conv + 1], noise_mode)
            w_index += n_conv
        return img


class StyleGAN2Backbone(torch.nn.Module):
    def __init__(self, channels):
        super().__init__()
        num_ws = 2 * int(math.log2(PLANE_RES)) - 2
        self.mapping = MappingNetwork(Z_DIM, C_DIM, W_DIM, num_ws, num_layers=2)
        self.synthesis = SynthesisNetwork(PLANE_RES, 3 * PLANE_CH, channels)


class ImportanceRenderer(torch.nn.Module):
    """Stands for EG3D's renderer module in the pickle (it holds no weights)."""


class TriPlaneGenerator(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.backbone = StyleGAN2Backbone({4: 16, 8: 16, 16: 8})
        self.renderer = ImportanceRenderer()
        self.decoder = ref_render.OSGDecoder(PLANE_CH, 8, PLANE_CH)
        self.superresolution = ref.Superresolution("2X", channels=PLANE_CH, w_dim=W_DIM, widths=(8, 4))
        self.neural_rendering_resolution = RAW_RES
        self.rendering_kwargs = RENDERING

    def forward(self, z, c_cond, c_render, truncation_psi=1, truncation_cutoff=None):
        ws = self.backbone.mapping(z, c_cond, truncation_psi, truncation_cutoff)
        planes = self.backbone.synthesis(ws, "const")
        planes = planes.view(len(planes), 3, PLANE_CH, planes.shape[-2], planes.shape[-1])
        origins, dirs = ref_render.ray_sampler(c_render[:, :16].view(-1, 4, 4), c_render[:, 16:].view(-1, 3, 3),
                                               RAW_RES)
        n, r, _ = origins.shape
        jitter = torch.full((n, r, N_COARSE, 1), 0.5)
        u = ((torch.arange(N_FINE) + 0.5) / N_FINE).expand(n * r, N_FINE).contiguous()
        features, depth, _ = ref_render.render(planes, self.decoder, origins, dirs, 2.25, 3.3, jitter, u)
        feature_image = features.permute(0, 2, 1).reshape(n, -1, RAW_RES, RAW_RES)
        depth_image = depth.permute(0, 2, 1).reshape(n, 1, RAW_RES, RAW_RES)
        rgb = feature_image[:, :3]
        image = self.superresolution(rgb, feature_image, ws, noise_mode="none")
        return {"image": image, "image_raw": rgb, "image_depth": depth_image}


class DiscriminatorBlock(torch.nn.Module):
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
    CHANNEL_BASE, CHANNEL_MAX = 256, 16

    def __init__(self):
        super().__init__()
        self.resolutions = [2 ** i for i in range(int(math.log2(D_RES)), 2, -1)]
        ch = {res: min(self.CHANNEL_BASE // res, self.CHANNEL_MAX) for res in self.resolutions + [4]}
        for res in self.resolutions:
            setattr(self, f"b{res}", DiscriminatorBlock(ch[res] if res < D_RES else 0, ch[res], ch[res // 2], 6))
        self.mapping = MappingNetwork(0, C_DIM, ch[4], None, num_layers=8, w_avg_beta=None)
        self.b4 = DiscriminatorEpilogue(ch[4], ch[4])
        self.register_buffer("resample_filter", ref.setup_filter())

    def forward(self, img, c):
        raw = F.interpolate(img["image_raw"], size=(D_RES, D_RES), mode="bilinear", align_corners=False,
                            antialias=True)
        img, x = torch.cat([img["image"], raw], 1), None
        for res in self.resolutions:
            x = getattr(self, f"b{res}")(x, img)
        return self.b4(x, self.mapping(None, c))


# -- the release's pickling ---------------------------------------------------------------------------
PERSISTENT = {
    ref.FullyConnectedLayer: "training.networks_stylegan2.FullyConnectedLayer",
    ref.Conv2dLayer: "training.networks_stylegan2.Conv2dLayer",
    ref.SynthesisLayer: "training.networks_stylegan2.SynthesisLayer",
    ref.ToRGBLayer: "training.networks_stylegan2.ToRGBLayer",
    ref.SynthesisBlock: "training.networks_stylegan2.SynthesisBlock",
    FirstSynthesisBlock: "training.networks_stylegan2.SynthesisBlock",
    ref.Superresolution: "training.superresolution.SuperresolutionHybrid2X",
    MappingNetwork: "training.networks_stylegan2.MappingNetwork",
    SynthesisNetwork: "training.networks_stylegan2.SynthesisNetwork",
    StyleGAN2Backbone: "training.networks_stylegan2.Generator",
    TriPlaneGenerator: "training.triplane.TriPlaneGenerator",
    DiscriminatorBlock: "training.networks_stylegan2.DiscriminatorBlock",
    DiscriminatorEpilogue: "training.networks_stylegan2.DiscriminatorEpilogue",
    DualDiscriminator: "training.dual_discriminator.DualDiscriminator",
}
BY_PATH = {ref_render.OSGDecoder: ("training.triplane", "OSGDecoder"),
           ImportanceRenderer: ("training.volumetric_rendering.renderer", "ImportanceRenderer")}
# what a plain pickle.load would run: the persistence wrapper executes module_src
HOSTILE_SOURCE = "import pathlib; pathlib.Path('PWNED').write_text('ran')"


@pytest.fixture
def release_modules(monkeypatch):
    """Fake ``torch_utils.persistence`` and EG3D modules, so that the pickler can name them."""
    def _reconstruct_persistent_obj(meta):
        raise AssertionError("never called while pickling")

    modules = {"torch_utils": types.ModuleType("torch_utils"),
               "torch_utils.persistence": types.ModuleType("torch_utils.persistence")}
    _reconstruct_persistent_obj.__module__ = "torch_utils.persistence"
    _reconstruct_persistent_obj.__qualname__ = "_reconstruct_persistent_obj"
    modules["torch_utils.persistence"]._reconstruct_persistent_obj = _reconstruct_persistent_obj
    stand_ins = {}
    for cls, (module, name) in BY_PATH.items():
        for i in range(1, module.count(".") + 2):
            modules.setdefault(".".join(module.split(".")[:i]), types.ModuleType(".".join(module.split(".")[:i])))
        stand_in = type(name, (), {"__module__": module, "__qualname__": name})
        setattr(modules[module], name, stand_in)
        stand_ins[cls] = stand_in
    for name, module in modules.items():
        monkeypatch.setitem(sys.modules, name, module)
    return _reconstruct_persistent_obj, stand_ins


def pickle_like_release(path, snapshot, release_modules):
    reconstruct, stand_ins = release_modules

    class ReleasePickler(pickle.Pickler):
        def reducer_override(self, obj):
            cls = type(obj)
            if cls in PERSISTENT:
                meta = dict(type="class", version=6, module_src=HOSTILE_SOURCE, class_name=PERSISTENT[cls],
                            state=dict(obj.__dict__))
                return reconstruct, (meta,)
            if cls in stand_ins:
                # (NEWOBJ needs the object's own class; the reconstructor names the same global)
                return copyreg._reconstructor, (stand_ins[cls], object, None), dict(obj.__dict__)
            return NotImplemented

    with open(path, "wb") as f:
        ReleasePickler(f, protocol=pickle.HIGHEST_PROTOCOL).dump(snapshot)


def _randomise(module):
    torch.manual_seed(0)
    with torch.no_grad():
        for name, p in module.named_parameters():
            if name.endswith(("bias", "noise_strength")):
                p.normal_(0, 0.5)  # non-trivial biases and noise strengths
        for name, b in module.named_buffers():
            if name.endswith("w_avg"):
                b.normal_()
    return module


@pytest.fixture
def snapshot_file(tmp_path, release_modules):
    torch.manual_seed(0)
    g, d = _randomise(TriPlaneGenerator()), _randomise(DualDiscriminator())
    g._init_kwargs = {"z_dim": Z_DIM, "rendering_kwargs": RENDERING, "conv_clamp": None}
    d._init_kwargs = {"conv_clamp": 256, "epilogue_kwargs": {"mbstd_group_size": 4}}
    path = tmp_path / "ffhq512-128.pkl"
    pickle_like_release(path, {"G": g, "D": d, "G_ema": g, "augment_pipe": None,
                               "training_set_kwargs": {"resolution": D_RES}}, release_modules)
    return path, g, d


def _labels():
    return np.stack([camera_label(0.3, 0.1), camera_label(-0.25, -0.05)]).astype(np.float32)


def _nhwc(t):
    return t.detach().numpy().transpose(0, 2, 3, 1)


def test_converted_generator_and_discriminator_match_pytorch(snapshot_file, tmp_path, monkeypatch):
    path, g, d = snapshot_file
    monkeypatch.chdir(tmp_path)
    variables, info = convert("eg3d", [str(path)])
    assert not (tmp_path / "PWNED").exists()
    save(tmp_path / "converted", info, variables)
    generator, g_vars, discriminator, d_vars = load_converted(tmp_path / "converted")

    z = torch.randn(2, Z_DIM)
    c_cond, c_render = torch.from_numpy(_labels()), torch.from_numpy(_labels()[::-1].copy())
    with torch.no_grad():
        want = g(z, c_cond, c_render, truncation_psi=0.7, truncation_cutoff=3)
        want_logits = d({"image": want["image"], "image_raw": want["image_raw"]}, c_render)
    got = jax.jit(lambda v, *a: generator.apply(v, *a, truncation_psi=0.7, truncation_cutoff=3, noise_mode="const"))(
        g_vars, jnp.asarray(z.numpy()), jnp.asarray(c_cond.numpy()), jnp.asarray(c_render.numpy()))
    for key in ("image", "image_raw", "image_depth"):
        assert got[key].shape == _nhwc(want[key]).shape, key
        np.testing.assert_allclose(got[key], _nhwc(want[key]), atol=1e-4, rtol=0, err_msg=key)
    images = {k: jnp.asarray(_nhwc(want[k])) for k in ("image", "image_raw")}
    logits = jax.jit(discriminator.apply)(d_vars, images, jnp.asarray(c_render.numpy()))
    np.testing.assert_allclose(logits, want_logits.numpy(), atol=1e-4, rtol=0)
    assert float(jnp.std(got["image"])) > 0.01  # not a trivially constant render


def test_convert_command_writes_a_checkpoint(snapshot_file, tmp_path, capsys):
    path, _, _ = snapshot_file
    assert main(["convert", "eg3d", str(path), "--out", str(tmp_path / "out")]) == 0
    generator, g_vars, discriminator, _ = load_converted(tmp_path / "out")
    assert generator.neural_rendering_resolution == RAW_RES and discriminator.resolution == D_RES
    assert "network=eg3d" in capsys.readouterr().out


class _RunsCode:
    def __reduce__(self):
        import os  # noqa: PLC0415
        return os.system, ("touch PWNED",)


def test_a_pickle_that_would_run_code_is_refused_without_running_it(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "evil.pkl"
    path.write_bytes(pickle.dumps({"G_ema": _RunsCode()}))
    with pytest.raises(UnsafePickleError, match=r"posix\.system|os\.system"):
        load(path)
    assert main(["convert", "eg3d", str(path), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "system" in err[0], err
    assert not (tmp_path / "PWNED").exists() and not (tmp_path / "out").exists()


def test_a_snapshot_without_g_ema_gets_one_line(tmp_path, capsys):
    path = tmp_path / "no_g_ema.pkl"
    path.write_bytes(pickle.dumps({"G": {"weight": torch.zeros(2)}, "training_set_kwargs": {}}))
    with pytest.raises(ConversionError, match="no G_ema"):
        convert("eg3d", [str(path)])
    assert main(["convert", "eg3d", str(path), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "G_ema" in err[0], err


def test_generator_and_discriminator_build_from_the_converted_description(snapshot_file):
    path, _, _ = snapshot_file
    variables, info = convert("eg3d", [str(path)])
    generator, discriminator = generator_from_info(info), discriminator_from_info(info)
    assert generator.sr_variant == "2X" and generator.n_coarse == N_COARSE and discriminator.mapping_layers == 8
    assert set(variables["G"]) == {"params", "constants", "averages"}
