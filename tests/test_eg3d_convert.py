"""``gazejax convert eg3d``: a release snapshot read without running its code, and parity with PyTorch.

The PyTorch EG3D here is :mod:`gazejax.torch_reference.eg3d`, with the official
module names (``backbone.mapping``, ``backbone.synthesis.b{res}``,
``decoder.net``, ``superresolution``; the dual discriminator's ``b{res}``,
``mapping``, ``b4``), at small widths, random weights. It is pickled the way
EG3D's ``training_loop.py`` writes snapshots: a dict of whole modules, the
StyleGAN2 classes wrapped by ``torch_utils.persistence`` (their state plus
source code that a plain ``pickle.load`` would execute), the others
(``OSGDecoder``, the renderer, ``torch.nn`` containers) by import path.
"""

import copyreg
import pickle
import sys
import types

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import torch

from gazejax.cli import main
from gazejax.convert import ConversionError, convert, save
from gazejax.convert.safe_unpickle import UnsafePickleError, load
from gazejax.geometry import camera_label
from gazejax.methods.eg3d.converted import discriminator_from_info, generator_from_info, load_converted
from gazejax.torch_reference import eg3d_renderer as ref_render
from gazejax.torch_reference import stylegan2 as ref
from gazejax.torch_reference.eg3d import (DiscriminatorBlock, DiscriminatorEpilogue, DualDiscriminator,
                                          FirstSynthesisBlock, ImportanceRenderer, MappingNetwork,
                                          StyleGAN2Backbone, SynthesisNetwork, TriPlaneGenerator)

Z_DIM, W_DIM = 16, 16
PLANE_RES, PLANE_CH, RAW_RES = 16, 8, 16
N_COARSE, N_FINE = 6, 6
D_RES = 128


def small_generator():
    return TriPlaneGenerator(z_dim=Z_DIM, w_dim=W_DIM, plane_resolution=PLANE_RES, plane_channels=PLANE_CH,
                             channel_base=128, channel_max=16, decoder_hidden=8, sr_variant="2X", sr_widths=(8, 4),
                             neural_rendering_resolution=RAW_RES, n_coarse=N_COARSE, n_fine=N_FINE)


def small_discriminator():
    return DualDiscriminator(resolution=D_RES, channel_base=256, channel_max=16)


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
    g, d = _randomise(small_generator()), _randomise(small_discriminator())
    g._init_kwargs = {"z_dim": Z_DIM, "rendering_kwargs": g.rendering_kwargs, "conv_clamp": None}
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
