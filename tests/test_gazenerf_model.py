"""GazeNeRF network: parity with plain-torch references, rotation, shapes."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import torch

from gazejax.convert.gazenerf import convert_state_dict
from gazejax.convert.state_dict import ConversionError
from gazejax.geometry import to_gazenerf
from gazejax.methods.gazenerf import GazeNeRF
from gazejax.methods.gazenerf.eye_rotation import merge_features, rotate_features
from gazejax.methods.gazenerf.mlp import NerfMLP
from gazejax.methods.gazenerf.positional_encoding import positional_encoding
from gazejax.render.neural_renderer import NeuralRenderer, pixel_shuffle
from gazejax.torch_reference.gazenerf import (
    TorchNerfMLP,
    TorchNeuralRenderer,
    torch_rotate_and_merge,
    torch_zplane_render,
)

# The reference's sizes: PE 63 + shape 179 + gaze 2 in, appearance 127, width 384, 258 features.
SHAPE, APPEA, WIDTH, CH = 179, 127, 384, 258
SMALL_FEAT, SMALL_SAMPLES, BLOCKS = 8, 6, 3


class TorchGazeNeRF(torch.nn.Module):
    """Container with the reference's top-level names (state_dict keys match the release)."""

    def __init__(self):
        super().__init__()
        self.fg_CD_predictor_face = TorchNerfMLP(63 + SHAPE + 2, APPEA, WIDTH, CH)
        self.fg_CD_predictor_eyes = TorchNerfMLP(63 + SHAPE + 2, APPEA, WIDTH, CH)
        self.neural_render = TorchNeuralRenderer(CH, BLOCKS, SMALL_FEAT)


def small_model(**kw):
    return GazeNeRF(featmap_size=SMALL_FEAT, num_samples=SMALL_SAMPLES, renderer_blocks=BLOCKS, **kw)


@pytest.fixture(scope="module")
def reference():
    torch.manual_seed(0)
    net = TorchGazeNeRF().eval()
    with torch.no_grad():  # a non-trivial background map
        net.neural_render.bg_featmap.uniform_(0.0, 2.0)
    state = {k: v.numpy() for k, v in net.state_dict().items()}
    return net, convert_state_dict(state, small_model(), SHAPE, APPEA)


def max_diff(a, b):
    return float(np.max(np.abs(np.asarray(a) - np.asarray(b))))


def test_mlp_stream_matches_torch(reference):
    net, variables = reference
    rng = np.random.default_rng(1)
    pts = rng.uniform(-1, 1, (2, 5, 7, 3)).astype(np.float32)  # (B, N_rays, N_samples, 3)
    code = rng.normal(size=(2, SHAPE + 2)).astype(np.float32)
    app = rng.normal(size=(2, APPEA)).astype(np.float32)
    enc = positional_encoding(jnp.asarray(pts), 10)
    feat, dens = jax.jit(NerfMLP(WIDTH, 8, CH).apply)(
        {"params": variables["params"]["fg_CD_predictor_face"]},
        enc, jnp.asarray(code)[:, None, None], jnp.asarray(app)[:, None, None])
    # Reference layout [B, C, N_r, N_s]; input order [PE | shape | gaze].
    to_nchw = lambda x: torch.from_numpy(np.asarray(x)).permute(0, 3, 1, 2)  # noqa: E731
    t_in = torch.cat([to_nchw(enc), torch.from_numpy(code)[:, :, None, None].expand(-1, -1, 5, 7)], 1)
    with torch.no_grad():
        t_app = torch.from_numpy(app)[:, :, None, None].expand(-1, -1, 5, 7)
        t_feat, t_dens = net.fg_CD_predictor_face(t_in, t_app)
    assert max_diff(feat, t_feat.permute(0, 2, 3, 1)) <= 1e-4
    assert max_diff(dens, t_dens[:, 0]) <= 1e-4


def test_positional_encoding_layout():
    x = jnp.array([[0.3, -1.2, 2.0]])
    enc = positional_encoding(x, 10)
    assert enc.shape == (1, 63)
    np.testing.assert_allclose(enc[0, :3], x[0])
    np.testing.assert_allclose(enc[0, 3 + 6 * 9:3 + 6 * 9 + 3], np.sin(x[0] * 512.0), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(enc[0, 6:9], np.cos(x[0]), atol=1e-6)  # freq 2^0, no pi


def test_neural_renderer_matches_torch(reference):
    net, variables = reference
    x = np.random.default_rng(2).normal(size=(2, CH, SMALL_FEAT, SMALL_FEAT)).astype(np.float32)
    out = jax.jit(NeuralRenderer(BLOCKS).apply)(
        {"params": variables["params"]["neural_render"]}, jnp.asarray(x.transpose(0, 2, 3, 1)))
    with torch.no_grad():
        ref = net.neural_render(torch.from_numpy(x)).permute(0, 2, 3, 1)
    assert out.shape == (2, SMALL_FEAT * 8, SMALL_FEAT * 8, 3)
    assert max_diff(out, ref) <= 1e-4


def test_pixel_shuffle_matches_torch():
    x = np.arange(2 * 12 * 3 * 2, dtype=np.float32).reshape(2, 12, 3, 2)
    ref = torch.nn.functional.pixel_shuffle(torch.from_numpy(x), 2).permute(0, 2, 3, 1).numpy()
    np.testing.assert_array_equal(pixel_shuffle(jnp.asarray(x.transpose(0, 2, 3, 1))), ref)


def test_rotation_and_merge_match_torch():
    rng = np.random.default_rng(3)
    face, eyes = (rng.normal(size=(2, 12, 4, 5)).astype(np.float32) for _ in range(2))
    gaze = rng.uniform(-0.6, 0.6, (2, 2)).astype(np.float32)
    t_rot, t_merged = torch_rotate_and_merge(*map(torch.from_numpy, (face, eyes, gaze)))
    nhwc = lambda a: jnp.asarray(a.transpose(0, 2, 3, 1))  # noqa: E731
    rot = rotate_features(nhwc(eyes), jnp.asarray(gaze))
    assert max_diff(rot, t_rot.permute(0, 2, 3, 1)) <= 1e-5
    assert max_diff(merge_features(nhwc(face), rot), t_merged.permute(0, 2, 3, 1)) <= 1e-5


def test_rotate_then_inverse_is_identity_and_keeps_norms():
    rng = np.random.default_rng(4)
    feats = jnp.asarray(rng.normal(size=(3, 4, 4, 258)), jnp.float32)
    gaze = jnp.asarray(rng.uniform(-1.0, 1.0, (3, 2)), jnp.float32)
    rot = rotate_features(feats, gaze)
    assert max_diff(rotate_features(rot, gaze, inverse=True), feats) <= 1e-5
    norms = lambda f: jnp.linalg.norm(f.reshape(3, 4, 4, 86, 3), axis=-1)  # noqa: E731
    assert max_diff(norms(rot), norms(feats)) <= 1e-5
    assert max_diff(rot, feats) > 0.1  # it did rotate


def test_full_forward_matches_torch_composition(reference):
    """Sampling, both streams, compositing with bg, rotation, merge and renderer end to end."""
    net, variables = reference
    rng = np.random.default_rng(5)
    shape = rng.normal(size=(1, SHAPE)).astype(np.float32)
    appea = rng.normal(size=(1, APPEA)).astype(np.float32)
    gaze = np.array([[0.2, -0.3]], np.float32)  # ours
    pos = np.array([[0.03, 0.13, 6.2]], np.float32)
    rot = np.diag([1.0, -1.0, -1.0]).astype(np.float32)[None]
    f, c = 1039.36 * SMALL_FEAT / 512, SMALL_FEAT / 2
    inv_k = np.linalg.inv(np.array([[f, 0, c], [0, f, c], [0, 0, 1]], np.float32))[None].astype(np.float32)
    model = small_model()
    out = jax.jit(model.apply)(variables, *map(jnp.asarray, (shape, appea, gaze, rot, pos, inv_k)))

    # The same computation through the torch pieces, in the reference's layout.
    ys, xs = np.meshgrid(np.arange(SMALL_FEAT), np.arange(SMALL_FEAT), indexing="ij")
    pix = np.stack([xs.ravel(), ys.ravel(), np.ones(SMALL_FEAT**2)]).astype(np.float32)
    d = rot[0] @ inv_k[0] @ pix
    d = torch.from_numpy((d / np.linalg.norm(d, axis=0))[None].astype(np.float32))
    n, s = SMALL_FEAT**2, SMALL_SAMPLES
    zeros = torch.zeros(1, 1, n, s)
    pts, _, _ = torch_zplane_render(zeros, torch.zeros(1, 1, n, s), torch.from_numpy(pos), d, 2.5, -3.5, s)
    enc = torch.cat([pts] + [fn(pts * 2.0**i) for i in range(10) for fn in (torch.sin, torch.cos)], 1)
    g = torch.from_numpy(np.asarray(to_gazenerf(gaze)))
    cond = torch.cat([torch.from_numpy(shape), g], 1)[:, :, None, None].expand(-1, -1, n, s)
    app = torch.from_numpy(appea)[:, :, None, None].expand(-1, -1, n, s)
    bg = net.neural_render.bg_featmap
    maps = []
    with torch.no_grad():
        for mlp in (net.fg_CD_predictor_face, net.fg_CD_predictor_eyes):
            feat, dens = mlp(torch.cat([enc, cond], 1), app)
            _, fmap, bg_alpha = torch_zplane_render(dens, feat, torch.from_numpy(pos), d, 2.5, -3.5, s)
            side = (SMALL_FEAT, SMALL_FEAT)
            maps.append(fmap.view(1, CH, *side) + bg_alpha.view(1, 1, *side) * bg)
        eyes_rot, merged = torch_rotate_and_merge(maps[0], maps[1], g)
        ref = {name: net.neural_render(m).permute(0, 2, 3, 1)
               for name, m in (("face", maps[0]), ("eyes", eyes_rot), ("merged", merged), ("background", bg))}
    for name, image in ref.items():
        assert max_diff(out[name], image) <= 1e-4, name


def test_converter_names_bad_keys(reference):
    net, _ = reference
    state = {k: v.numpy() for k, v in net.state_dict().items()}
    state["fg_CD_predictor_face.extra.weight"] = np.zeros((3, 3, 1, 1), np.float32)
    del state["neural_render.feat_layers.0.bias"]
    with pytest.raises(ConversionError, match="feat_layers_0/bias.*unexpected.*extra"):
        convert_state_dict(state, small_model(), SHAPE, APPEA)


def test_single_stream_variant_shapes():
    """vanilla+rotation (Table 3): one MLP, its one image under all three names."""
    model = GazeNeRF(mlp_width=16, mlp_depth=3, num_freqs=2, feature_channels=6, featmap_size=4,
                     renderer_blocks=1, num_samples=3, z_near=0.5, z_far=-0.5,
                     two_stream=False, rotate_eyes=True)
    args = (jnp.ones((2, 3)), jnp.ones((2, 2)), jnp.array([[0.1, 0.2], [0.0, -0.3]]),
            jnp.tile(jnp.diag(jnp.array([1.0, -1.0, -1.0])), (2, 1, 1)),
            jnp.array([[0.0, 0.0, 2.7]] * 2), jnp.tile(jnp.eye(3), (2, 1, 1)))
    out, variables = jax.jit(model.init_with_output)(jax.random.key(0), *args, key=jax.random.key(1))
    assert {k: v.shape for k, v in out.items()} == {
        "face": (2, 8, 8, 3), "eyes": (2, 8, 8, 3), "merged": (2, 8, 8, 3), "background": (1, 8, 8, 3)}
    assert "fg_CD_predictor_eyes" not in variables["params"]
    np.testing.assert_array_equal(out["face"], out["merged"])
    np.testing.assert_array_equal(out["eyes"], out["merged"])


def test_chunked_streams_give_the_same_parameters_images_and_gradients():
    # chunk_rays=24 over 64 rays: three chunks, the last one padded
    rng = np.random.default_rng(6)
    args = (rng.normal(size=(2, 5)), rng.normal(size=(2, 4)), rng.uniform(-0.3, 0.3, (2, 2)),
            np.tile(np.diag([1.0, -1.0, -1.0]), (2, 1, 1)), np.tile([0.0, 0.0, 6.0], (2, 1)),
            np.tile(np.linalg.inv([[10.0, 0, 4], [0, 10.0, 4], [0, 0, 1]]), (2, 1, 1)))
    args = [jnp.asarray(a, jnp.float32) for a in args]
    sizes = dict(mlp_width=32, mlp_depth=4, feature_channels=12, featmap_size=8, renderer_blocks=1, num_samples=6)
    plain, chunked = GazeNeRF(**sizes), GazeNeRF(**sizes, chunk_rays=24)
    variables = jax.jit(plain.init)(jax.random.key(0), *args)
    chunked_variables = jax.jit(chunked.init)(jax.random.key(0), *args)
    for got, want in zip(jax.tree.leaves(chunked_variables), jax.tree.leaves(variables), strict=True):
        np.testing.assert_array_equal(got, want)

    def loss(model):
        return lambda v: sum(jnp.sum(image**2) for image in model.apply(v, *args, key=jax.random.key(1)).values())

    with jax.default_matmul_precision("highest"):
        want_loss, want = jax.jit(jax.value_and_grad(loss(plain)))(variables)
        got_loss, got = jax.jit(jax.value_and_grad(loss(chunked)))(variables)
    np.testing.assert_allclose(got_loss, want_loss, rtol=1e-6)
    for g, w in zip(jax.tree.leaves(got), jax.tree.leaves(want), strict=True):
        np.testing.assert_allclose(g, w, atol=1e-5 * float(np.abs(w).max()), rtol=0)


def test_a_chunk_size_below_one_is_one_line():
    model = GazeNeRF(mlp_width=16, mlp_depth=3, num_freqs=2, feature_channels=6, featmap_size=4,
                     renderer_blocks=1, num_samples=3, chunk_rays=0)
    args = (jnp.ones((1, 3)), jnp.ones((1, 2)), jnp.zeros((1, 2)), jnp.eye(3)[None],
            jnp.array([[0.0, 0.0, 2.7]]), jnp.eye(3)[None])
    with pytest.raises(ValueError, match=r"model.chunk_rays must be positive \(or None\), got 0") as info:
        model.init(jax.random.key(0), *args)
    assert "\n" not in str(info.value)
