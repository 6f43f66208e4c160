"""Super-resolution parity with plain torch, and a full 512^2 EG3D-style render on the CPU."""

import resource

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import torch

from gazejax.torch_reference import stylegan2 as ref
from gazejax.geometry import camera_label, eg3d_rays
from gazejax.render.eg3d_renderer import render, triplane_field
from gazejax.render.osg_decoder import OSGDecoder
from gazejax.render.superresolution import SuperresolutionHybrid, SuperresolutionHybrid8XDC


def _nhwc(t):
    return jnp.asarray(t.detach().numpy().transpose(0, 2, 3, 1))


def _torch_sr(variant, channels, w_dim, widths, conv_clamp):
    torch.manual_seed(0)
    sr = ref.Superresolution(variant, channels=channels, w_dim=w_dim, conv_clamp=conv_clamp, widths=widths)
    with torch.no_grad():
        for name, p in sr.named_parameters():
            if name.endswith("bias") or name.endswith("noise_strength"):
                p.normal_()  # non-trivial biases and noise strengths
    return sr


@pytest.mark.parametrize(
    "variant,size",
    [("8XDC", 128), ("4X", 128), ("4X", 64), ("2X", 64), ("2X", 32), ("2X", 96)],
)
def test_superresolution_matches_torch_at_reduced_width(variant, size):
    """Reduced channel counts; sizes other than the input resolution exercise the antialiased resize."""
    sr = _torch_sr(variant, channels=6, w_dim=16, widths=(8, 4), conv_clamp=1.5)
    rgb, feats, ws = torch.randn(1, 3, size, size), torch.randn(1, 6, size, size), torch.randn(1, 5, 16)
    want = sr(rgb, feats, ws, noise_mode="const").detach().numpy().transpose(0, 2, 3, 1)
    module = SuperresolutionHybrid(variant, conv_clamp=1.5, widths=(8, 4))
    variables = ref.to_flax(sr.state_dict())
    args = (_nhwc(rgb), _nhwc(feats), jnp.asarray(ws.numpy()))
    shapes = jax.eval_shape(lambda: module.init(jax.random.key(0), *args))
    assert jax.tree_util.tree_map(jnp.shape, variables) == jax.tree_util.tree_map(lambda s: s.shape, shapes)
    got = jax.jit(lambda v, *a: module.apply(v, *a, noise_mode="const"))(variables, *args)
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, atol=1e-4, rtol=0)


def test_superresolution_rejects_bad_inputs():
    module = SuperresolutionHybrid("8XDC")
    with pytest.raises(ValueError, match="equal size"):
        module.init(jax.random.key(0), jnp.zeros((1, 8, 8, 3)), jnp.zeros((1, 4, 4, 32)), jnp.zeros((1, 14, 512)))
    with pytest.raises(ValueError, match="unknown super-resolution variant"):
        SuperresolutionHybrid("16X").init(jax.random.key(0), jnp.zeros((1, 8, 8, 3)), jnp.zeros((1, 8, 8, 3)),
                                          jnp.zeros((1, 14, 512)))


def _random_variables(module, *args):
    """Random variables of the right shapes without running the (expensive) init forward."""
    shapes = jax.eval_shape(lambda: module.init(jax.random.key(0), *args))
    leaves, tree = jax.tree_util.tree_flatten(shapes)
    keys = jax.random.split(jax.random.key(1), len(leaves))
    return jax.tree_util.tree_unflatten(tree, [jax.random.normal(k, s.shape) for k, s in zip(keys, leaves)])


def test_full_size_512_render_fits_on_cpu():
    """EG3D FFHQ 512: 256^2 x 32 tri-planes, 128^2 rays x (48 + 48) samples, SR 8XDC at full width."""
    planes = jax.random.normal(jax.random.key(2), (1, 3, 256, 256, 32))
    decoder = OSGDecoder()
    dec_vars = decoder.init(jax.random.key(3), jnp.zeros((1, 1, 32)))
    sr = SuperresolutionHybrid8XDC()
    ws = jax.random.normal(jax.random.key(4), (1, 14, 512))
    sr_vars = _random_variables(sr, jnp.zeros((1, 128, 128, 3)), jnp.zeros((1, 128, 128, 32)), ws)
    origins, dirs = eg3d_rays(camera_label(jnp.array([0.2]), jnp.array([0.1])), 128)

    @jax.jit
    def generate(planes, dec_vars, sr_vars, origins, dirs, ws, key):
        field = triplane_field(decoder, dec_vars, planes, box_warp=1.0)
        out = render(field, origins, dirs, key, ray_start=2.25, ray_end=3.3, n_coarse=48, n_fine=48,
                     chunk_rays=4096)
        features = (out["rgb"] * 2 - 1).reshape(1, 128, 128, 32)  # EG3D's [-1, 1] feature image
        return sr.apply(sr_vars, features[..., :3], features, ws), out["depth"].reshape(1, 128, 128, 1)

    image, depth = generate(planes, dec_vars, sr_vars, origins, dirs, ws, jax.random.key(5))
    assert image.shape == (1, 512, 512, 3) and depth.shape == (1, 128, 128, 1)
    assert np.all(np.isfinite(image)) and np.all((2.25 <= depth) & (depth <= 3.3 + 1.05 / 47))
    peak_gib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20  # KiB -> GiB on Linux
    assert peak_gib < 24


def test_bfloat16_inputs_run_the_superresolution_in_bfloat16_near_float32():
    sr = SuperresolutionHybrid("2X", widths=(8, 4))
    rng = np.random.default_rng(3)
    rgb, feats = rng.normal(size=(2, 32, 32, 3)), rng.normal(size=(2, 32, 32, 6))
    ws = jnp.asarray(rng.normal(size=(2, 5, 16)), jnp.float32)
    variables = sr.init(jax.random.key(0), jnp.asarray(rgb, jnp.float32), jnp.asarray(feats, jnp.float32), ws)

    def run(dtype):
        return jax.jit(lambda r, f: sr.apply(variables, r, f, ws))(jnp.asarray(rgb, dtype), jnp.asarray(feats, dtype))

    full, half = run(jnp.float32), run(jnp.bfloat16)
    assert half.dtype == jnp.bfloat16  # no float32 bias or noise promoted it back
    hlo = jax.jit(lambda r, f: sr.apply(variables, r, f, ws)).lower(
        jnp.asarray(rgb, jnp.bfloat16), jnp.asarray(feats, jnp.bfloat16)).as_text()
    convolutions = [line for line in hlo.splitlines() if "stablehlo.convolution" in line]
    assert convolutions and all("xbf16>" in line and "xf32>" not in line for line in convolutions)
    error = np.abs(np.asarray(half, np.float32) - np.asarray(full))
    assert error.mean() < 0.02 * np.abs(np.asarray(full)).mean()
