"""LiveGaze model: Live3D's tensor shapes, gaze conditioning, input checks."""

import functools

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import livegaze_tiny
from gazejax.methods.livegaze.build import build_model, check_inputs, init_variables
from gazejax.methods.livegaze.tri_encoder import encoder_input
from gazejax.cli import UsageError, main
from gazejax.commands.redirect import read_face, sweep_grid
from gazejax.methods.livegaze.inference import Redirector
from gazejax.nn.pixel_shuffle import pixel_shuffle
from gazejax.train.config_loading import load_config


@pytest.mark.parametrize("variant", ["paper", "paper_lt"])
def test_paper_sizes_give_live3d_triplane(variant):
    # Live3D: 512^2 input -> tri-plane (B, 3, 32, 256, 256); traced, not run.
    encoder = build_model(load_config(f"{livegaze_tiny.CONFIG_FILE}:{variant}").model).encoder
    out, variables = jax.eval_shape(
        encoder.init_with_output, jax.random.key(0), jnp.zeros((1, 512, 512, 3)), jnp.zeros((1, 2))
    )
    assert out.shape == (1, 3, 256, 256, 32)
    params = variables["params"]
    # E_h: 96 ch at 256^2 (normal) / 128 ch at 128^2 (LT); ViT width 1024
    high_out = params["high"]["convs_6" if variant == "paper_lt" else "convs_4"]["kernel"].shape
    assert high_out[-1] == (128 if variant == "paper_lt" else 96)
    assert params["low"]["patch_embed"]["proj"]["kernel"].shape == (7, 7, 256, 1024)
    depth = sum(k.startswith("blocks_") for k in params["low"])
    assert depth == (2 if variant == "paper_lt" else 5)
    assert params["decoder"]["block"]["attn"]["sr"]["kernel"].shape == (2, 2, 1024, 1024)


def test_paper_model_renders_512_images():
    model = build_model(load_config(f"{livegaze_tiny.CONFIG_FILE}:paper").model)
    out, _ = jax.eval_shape(
        model.init_with_output, jax.random.key(0), jnp.zeros((1, 512, 512, 3)), jnp.zeros((1, 2)),
        jnp.zeros((1, 25)),
    )
    assert out["image"].shape == (1, 512, 512, 3)
    assert out["image_raw"].shape == (1, 128, 128, 3)
    assert out["depth"].shape == (1, 128, 128)


def test_encoder_input_has_raw_pixel_coordinates():
    x = np.asarray(encoder_input(jnp.ones((1, 4, 6, 3))))
    assert np.all(x[..., :3] == 1.0)  # [0, 1] -> [-1, 1]
    np.testing.assert_array_equal(x[0, 2, :, 3], np.arange(6))  # column index
    np.testing.assert_array_equal(x[0, :, 5, 4], np.arange(4))  # row index
    normalized = np.asarray(encoder_input(jnp.ones((1, 4, 4, 3)), normalized_coordinates=True))
    np.testing.assert_allclose(normalized[0, 0, :, 3], [-0.75, -0.25, 0.25, 0.75])  # pixel centres


def test_pixel_shuffle_matches_torch_layout():
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(0).normal(size=(2, 3, 5, 8)).astype(np.float32)
    expected = torch.nn.PixelShuffle(2)(torch.from_numpy(x.transpose(0, 3, 1, 2))).numpy()
    got = np.asarray(pixel_shuffle(jnp.asarray(x), 2)).transpose(0, 3, 1, 2)
    np.testing.assert_array_equal(got, expected)


@pytest.fixture(scope="module")
def tiny():
    config = livegaze_tiny.config()
    model = build_model(config.model)
    batch = livegaze_tiny.pair_batch()
    src, tgt = batch["source"], batch["target"]
    variables = jax.jit(functools.partial(init_variables, model))(
        jax.random.key(0), src["image"], tgt["gaze_head"], tgt["camera"]
    )
    return Redirector(config, variables), batch


def test_tiny_forward_shapes_and_gaze_conditioning(tiny):
    redirector, batch = tiny
    src, tgt = batch["source"], batch["target"]
    out = redirector(src["image"], tgt["gaze_head"], tgt["camera"])
    r = livegaze_tiny.RESOLUTION
    assert out["image"].shape == (2, r, r, 3) and out["depth"].shape == (2, 16, 16)
    assert all(np.all(np.isfinite(v)) for v in out.values())
    model = redirector.model
    assert out["depth"].min() >= model.ray_start - 1e-4 and out["depth"].max() <= model.ray_end + 1e-4
    # the gaze prompt reaches the image (through E_g and the cross-attention)
    other = redirector(src["image"], tgt["gaze_head"] + 0.5, tgt["camera"])
    assert np.abs(other["image_raw"] - out["image_raw"]).max() > 1e-6


def test_sweep_grid_layout(tiny):
    redirector, batch = tiny
    face = batch["source"]["image"][0]
    grid = sweep_grid(redirector, face, gaze_yaws=[-0.3, 0.3], view_yaws=[0.0])
    r = livegaze_tiny.RESOLUTION
    assert grid.shape == (r, 4 * r, 3)  # input, two gazes, depth
    np.testing.assert_array_equal(grid[:, :r], face)
    assert np.all(grid[:, 3 * r:, 0] == grid[:, 3 * r:, 1])  # depth is grey


def test_bad_inputs_get_one_line_errors(tiny):
    redirector, batch = tiny
    model = redirector.model
    image = batch["source"]["image"]
    gaze, cam = batch["target"]["gaze_head"], batch["target"]["camera"]
    with pytest.raises(ValueError, match="32x32 normalized face crops, got 48x48"):
        check_inputs(model, np.zeros((2, 48, 48, 3)), gaze, cam)
    with pytest.raises(ValueError, match="RGB"):
        check_inputs(model, image[..., :1], gaze, cam)
    with pytest.raises(ValueError, match="gaze must be"):
        check_inputs(model, image, gaze[:, :1], cam)
    with pytest.raises(ValueError, match="25"):
        check_inputs(model, image, gaze, cam[:, :16])
    check_inputs(model, image, gaze, cam)  # valid inputs pass


def test_redirect_command_rejects_bad_files(tmp_path, capsys):
    from PIL import Image

    rgba = tmp_path / "rgba.png"
    Image.new("RGBA", (32, 32)).save(rgba)
    small = tmp_path / "small.png"
    Image.new("RGB", (20, 32)).save(small)
    with pytest.raises(UsageError, match="RGBA .*expected an RGB image"):
        read_face(rgba, 32)
    with pytest.raises(UsageError, match="20x32; this model takes 32x32"):
        read_face(small, 32)
    code = main(["redirect", "--checkpoint", str(tmp_path), "--image", str(small), "--gaze", "0.1",
                 "--out", str(tmp_path / "o.png")])
    assert code == 2
    assert "--gaze needs 2 numbers" in capsys.readouterr().err
    code = main(["redirect", "--checkpoint", str(tmp_path), "--image", str(small), "--gaze", "0,0",
                 "--out", str(tmp_path / "o.png")])
    assert code == 2
    assert "not a training run directory" in capsys.readouterr().err
