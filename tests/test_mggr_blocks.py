"""MGGR building blocks: flow warp, gazemap (Eq. 5), coarse model, generator, discriminator, losses."""

import math

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np
import pytest
import torch

from gazejax.methods.mggr import coarse, discriminator, gazemap, generator, losses
from gazejax.nn.flow_warp import flow_warp

KEY = jax.random.PRNGKey(0)


def _random(shape, seed):
    return np.random.default_rng(seed).uniform(size=shape).astype(np.float32)


# --- flow warp -------------------------------------------------------------------


def test_zero_flow_is_identity():
    image = _random((2, 7, 9, 3), 0)
    out = flow_warp(jnp.asarray(image), jnp.zeros((2, 7, 9, 2)))
    np.testing.assert_array_equal(out, image)


def test_constant_integer_flow_is_a_shift_with_replicated_border():
    image = _random((1, 6, 8, 2), 1)
    flow = jnp.zeros((1, 6, 8, 2)).at[..., 0].set(2.0).at[..., 1].set(-1.0)
    out = np.asarray(flow_warp(jnp.asarray(image), flow))
    # out[i, j] = in[i + 2, j - 1] where that exists...
    np.testing.assert_allclose(out[0, :4, 1:], image[0, 2:, :-1], atol=1e-6)
    # ...and the clamped border pixel elsewhere.
    np.testing.assert_allclose(out[0, 4:, 1:], np.broadcast_to(image[0, 5:6, :-1], (2, 7, 2)), atol=1e-6)
    np.testing.assert_allclose(out[0, :4, 0], image[0, 2:, 0], atol=1e-6)


def test_flow_warp_matches_torch_grid_sample_values_and_gradients():
    """Parity with torch's border-padded bilinear sampler, in both inputs."""
    n, h, w, c = 2, 5, 7, 3
    image = _random((n, h, w, c), 2)
    flow = (np.random.default_rng(3).normal(size=(n, h, w, 2)) * 2.0).astype(np.float32)

    def jax_loss(img, flw):
        out = flow_warp(img, flw)
        return jnp.sum(out * jnp.arange(out.size, dtype=out.dtype).reshape(out.shape) / out.size)

    out = flow_warp(jnp.asarray(image), jnp.asarray(flow))
    g_img, g_flow = jax.grad(jax_loss, argnums=(0, 1))(jnp.asarray(image), jnp.asarray(flow))

    t_img = torch.tensor(image.transpose(0, 3, 1, 2), requires_grad=True)
    t_flow = torch.tensor(flow, requires_grad=True)
    rows = torch.arange(h, dtype=torch.float32)[:, None] + t_flow[..., 0]
    cols = torch.arange(w, dtype=torch.float32)[None, :] + t_flow[..., 1]
    grid = torch.stack([2 * cols / (w - 1) - 1, 2 * rows / (h - 1) - 1], dim=-1)
    t_out = torch.nn.functional.grid_sample(
        t_img, grid, mode="bilinear", padding_mode="border", align_corners=True
    ).permute(0, 2, 3, 1)
    weights = torch.arange(t_out.numel(), dtype=torch.float32).reshape(t_out.shape) / t_out.numel()
    (t_out * weights).sum().backward()

    np.testing.assert_allclose(out, t_out.detach().numpy(), atol=1e-5)
    np.testing.assert_allclose(g_img, t_img.grad.numpy().transpose(0, 2, 3, 1), atol=1e-4)
    # torch also zeroes the gradient where the position is clamped to the border
    np.testing.assert_allclose(g_flow, t_flow.grad.numpy(), atol=1e-4)
    assert np.abs(np.asarray(g_flow)).max() > 1e-3


def test_flow_warp_rejects_bad_shapes():
    with pytest.raises(ValueError, match="differ"):
        flow_warp(jnp.zeros((1, 4, 4, 3)), jnp.zeros((1, 4, 5, 2)))
    with pytest.raises(ValueError, match="flow"):
        flow_warp(jnp.zeros((1, 4, 4, 3)), jnp.zeros((1, 4, 4, 3)))


# --- gazemap -----------------------------------------------------------------------


@pytest.mark.parametrize("pitch_deg, yaw_deg", [(0, 0), (20, 0), (0, -25), (-15, 30)])
def test_iris_centre_moves_as_eq5(pitch_deg, yaw_deg):
    n = m = 96
    pitch, yaw = math.radians(pitch_deg), math.radians(yaw_deg)
    k = 0.6 * n
    d = k * math.sqrt(3) / 2  # k cos(asin 1/2)
    expected_mu = m / 2 - d * math.sin(yaw) * math.cos(pitch)
    expected_nu = n / 2 - d * math.sin(pitch)
    mu, nu = gazemap.iris_centre(jnp.array([pitch, yaw]), n, m)
    np.testing.assert_allclose([mu, nu], [expected_mu, expected_nu], atol=1e-4)
    # the drawn iris is centred there (its centroid, pixel centres at +0.5)
    iris = np.asarray(gazemap.gazemap(jnp.array([pitch, yaw]), n, m))[..., 1]
    rows, cols = np.nonzero(iris)
    np.testing.assert_allclose([cols.mean() + 0.5, rows.mean() + 0.5], [expected_mu, expected_nu], atol=0.3)
    # looking up (pitch > 0) puts the iris above the centre; yaw > 0 puts it left
    assert np.sign(round(n / 2 - expected_nu, 6)) == np.sign(pitch_deg)
    assert np.sign(round(m / 2 - expected_mu, 6)) == np.sign(yaw_deg)


def test_gazemap_shapes_and_eyeball_disc():
    angles = jnp.array([[0.0, 0.0], [0.3, -0.2], [-0.1, 0.4]])
    maps = gazemap.gazemap(angles, 32, 40)
    assert maps.shape == (3, 32, 40, 2)
    assert set(np.unique(maps)) <= {0.0, 1.0}
    # eyeball of diameter 1.2 * height: every pixel within radius 0.6 * 32 of the centre
    y, x = np.mgrid[:32, :40] + 0.5
    disc = (x - 20) ** 2 + (y - 16) ** 2 <= (0.6 * 32) ** 2
    np.testing.assert_array_equal(maps[1, ..., 0], disc)
    # frontal iris: a circle of diameter k = 0.6 * 32
    area = float(maps[0, ..., 1].sum())
    np.testing.assert_allclose(area, math.pi * (0.3 * 32) ** 2, rtol=0.05)
    # a turned iris is foreshortened (smaller area)
    assert float(maps[2, ..., 1].sum()) < area
    jitted = jax.jit(gazemap.gazemap, static_argnums=(1, 2))(angles, 32, 40)
    np.testing.assert_array_equal(jitted, maps)


def test_guidance_channels():
    ra = jnp.array([[0.1, -0.2]])
    rb = jnp.array([[-0.1, 0.3]])
    g = gazemap.guidance(ra, rb, 8, 8, (20.0, 30.0))
    assert g.shape == (1, 8, 8, 6)
    np.testing.assert_allclose(
        g[0, 3, 5, :2], (np.array([-0.2, 0.5]) / np.radians([20.0, 30.0])), rtol=1e-5
    )
    np.testing.assert_array_equal(g[..., 2:4], gazemap.gazemap(ra, 8, 8))
    np.testing.assert_array_equal(g[..., 4:], gazemap.gazemap(rb, 8, 8))
    assert gazemap.guidance(ra, rb, 8, 8, (20.0, 30.0), use_gazemap=False).shape == (1, 8, 8, 2)


# --- models ---------------------------------------------------------------------------

PATCH = jnp.asarray(_random((2, 16, 16, 3), 4))
POSE = jnp.array([[0.0, 0.2], [0.1, -0.3]])
RA = jnp.array([[0.1, 0.0], [-0.1, 0.2]])
RB = jnp.array([[-0.1, 0.2], [0.15, -0.2]])


def _init_apply(model, *inputs):
    # Eager: these small graphs compile faster op by op than as one jitted XLA program.
    variables = model.init(KEY, *inputs)
    return variables, model.apply(variables, *inputs)


def test_coarse_model_starts_from_identity_warp_and_learns_flow():
    model = coarse.CoarseModel(features=(8, 16), max_flow=4.0)
    variables, out = _init_apply(model, PATCH, POSE, RA, RB)
    assert out["image"].shape == (2, 16, 16, 3) and out["flow"].shape == (2, 16, 16, 2)
    np.testing.assert_allclose(out["image"], PATCH, atol=1e-6)

    def loss(params):
        o = model.apply({"params": params}, PATCH, POSE, RA, RB)
        return jnp.mean((o["image"] - jnp.roll(PATCH, 1, axis=2)) ** 2)

    grads = jax.grad(loss)(variables["params"])
    assert float(jnp.abs(grads["Decoder_0"]["flow_head"]["kernel"]).max()) > 0


def test_coarse_model_without_flow_or_gazemap():
    model = coarse.CoarseModel(features=(8, 16), predict_flow=False, use_gazemap=False)
    variables, out = _init_apply(model, PATCH, POSE, RA, RB)
    assert out["image"].shape == (2, 16, 16, 3)
    assert float(out["image"].min()) >= 0 and float(out["image"].max()) <= 1
    assert "image_head" in variables["params"]["Decoder_0"]


def test_generator_residual_starts_at_coarse_output():
    coarse_out = jnp.asarray(_random((2, 16, 16, 3), 5))
    g = generator.Generator(features=(8, 16), num_blocks=1)
    _, refined = _init_apply(g, coarse_out, PATCH, POSE, RA, RB)
    np.testing.assert_allclose(refined, coarse_out, atol=1e-6)
    plain = generator.Generator(features=(8, 16), num_blocks=1, residual=False)
    _, out = _init_apply(plain, coarse_out, PATCH, POSE, RA, RB)
    assert out.shape == (2, 16, 16, 3) and float(jnp.abs(out - coarse_out).max()) > 0.05


def test_discriminator_heads_share_the_trunk():
    d = discriminator.Discriminator(features=(8, 16), head_features=8)
    variables, (adv, gaze) = _init_apply(d, PATCH)
    params = variables["params"]
    assert set(params) == {"trunk", "adv_head", "gaze_head"}
    assert set(params["adv_head"]) == set(params["gaze_head"]) == {"hidden", "out"}
    assert adv.shape == (2, 4, 4) and gaze.shape == (2, 2)

    g_adv = jax.grad(lambda p: jnp.sum(d.apply({"params": p}, PATCH)[0]))(params)
    g_gaze = jax.grad(lambda p: jnp.sum(d.apply({"params": p}, PATCH)[1]))(params)

    def size(tree):
        return float(sum(jnp.abs(x).sum() for x in jax.tree.leaves(tree)))

    # both tasks train the one trunk; each head only by its own task
    assert size(g_adv["trunk"]) > 0 and size(g_gaze["trunk"]) > 0
    assert size(g_adv["gaze_head"]) == 0 and size(g_gaze["adv_head"]) == 0
    assert size(g_adv["adv_head"]) > 0 and size(g_gaze["gaze_head"]) > 0


# --- losses -------------------------------------------------------------------------------


def test_gram_and_style_known_values():
    f = jnp.arange(8.0).reshape(1, 2, 2, 2)  # pixels (0,1), (2,3), (4,5), (6,7)
    expected = np.array([[0 + 4 + 16 + 36, 0 + 6 + 20 + 42], [0 + 6 + 20 + 42, 1 + 9 + 25 + 49]]) / 8
    np.testing.assert_allclose(losses.gram(f)[0], expected, rtol=1e-6)
    assert float(losses.style([f], [f])) == 0.0
    np.testing.assert_allclose(losses.style([f, f], [2 * f, f]), np.mean((3 * expected) ** 2), rtol=1e-6)


WEIGHTS = ml_collections.ConfigDict(
    dict(d_gaze=5.0, g_recon=0.1, g_feature=100.0, g_style=100.0, g_gaze=10.0, g_adv=1.0)
)


def test_generator_objective_weights_and_perceptual_gradient():
    target = jnp.asarray(_random((2, 8, 8, 3), 6))
    refined = jnp.asarray(_random((2, 8, 8, 3), 7))
    logits, gaze, r = jnp.zeros((2, 2, 2)), jnp.zeros((2, 2)), jnp.ones((2, 2))
    kernel = jax.random.normal(KEY, (3, 3, 3, 4))

    def features(x):
        f = jax.lax.conv_general_dilated(x, kernel, (1, 1), "SAME", dimension_numbers=("NHWC", "HWIO", "NHWC"))
        return jax.nn.relu(f), [x, jax.nn.relu(f)]

    loss, terms = losses.generator_objective(refined, target, logits, gaze, r, WEIGHTS, features)
    expected = sum(WEIGHTS[k] * terms[k] for k in ("g_recon", "g_feature", "g_style", "g_gaze", "g_adv"))
    np.testing.assert_allclose(loss, expected, rtol=1e-6)
    np.testing.assert_allclose(terms["g_gaze"], 1.0)
    np.testing.assert_allclose(terms["g_adv"], math.log(2.0), rtol=1e-6)
    assert float(terms["g_feature"]) > 0 and float(terms["g_style"]) > 0
    grad = jax.grad(
        lambda x: losses.generator_objective(x, target, logits, gaze, r, WEIGHTS, features)[1]["g_style"]
    )(refined)
    assert float(jnp.abs(grad).max()) > 0
    with pytest.raises(ValueError, match="feature extractor"):
        losses.generator_objective(refined, target, logits, gaze, r, WEIGHTS)


def test_discriminator_objective_is_eq12():
    real, fake = jnp.full((2, 2, 2), 3.0), jnp.full((2, 2, 2), -3.0)
    loss, terms = losses.discriminator_objective(real, jnp.zeros((2, 2)), fake, jnp.ones((2, 2)), WEIGHTS)
    np.testing.assert_allclose(terms["d_adv"], 2 * math.log1p(math.exp(-3.0)), rtol=1e-6)
    np.testing.assert_allclose(loss, terms["d_adv"] + 5.0 * 1.0, rtol=1e-6)
