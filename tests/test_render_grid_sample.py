"""grid_sample equals torch.nn.functional.grid_sample(bilinear, zeros, align_corners=False)."""

import jax
import jax.numpy as jnp
import numpy as np
import torch
import torch.nn.functional as F

from gazejax.render.grid_sample import grid_sample


def _torch_grid_sample(images, grid):
    return F.grid_sample(images.permute(0, 3, 1, 2), grid, mode="bilinear", padding_mode="zeros",
                         align_corners=False).permute(0, 2, 3, 1)


def test_values_match_torch_including_out_of_range_points():
    torch.manual_seed(0)
    images = torch.randn(2, 5, 7, 3)  # H != W catches swapped axes
    grid = torch.rand(2, 6, 9, 2) * 3.0 - 1.5  # about half the points fall outside [-1, 1]
    grid[0, 0, :4] = torch.tensor([[-1.0, -1.0], [1.0, 1.0], [-1.0 - 1 / 7, 0.0], [0.0, 1.0 + 1 / 5]])
    want = _torch_grid_sample(images, grid).numpy()
    got = grid_sample(jnp.asarray(images.numpy()), jnp.asarray(grid.numpy()))
    assert got.shape == (2, 6, 9, 3)
    np.testing.assert_allclose(got, want, atol=1e-5, rtol=0)
    assert np.any(want == 0.0)  # the test really covers fully-outside points


def test_gradients_match_torch():
    torch.manual_seed(1)
    images = torch.randn(1, 4, 6, 2, requires_grad=True)
    grid = (torch.rand(1, 5, 5, 2) * 2.4 - 1.2).requires_grad_(True)
    cotangent = torch.randn(1, 5, 5, 2)
    (_torch_grid_sample(images, grid) * cotangent).sum().backward()

    def loss(im, g):
        return jnp.sum(grid_sample(im, g) * jnp.asarray(cotangent.numpy()))

    d_im, d_grid = jax.grad(loss, argnums=(0, 1))(jnp.asarray(images.detach().numpy()),
                                                   jnp.asarray(grid.detach().numpy()))
    np.testing.assert_allclose(d_im, images.grad.numpy(), atol=1e-5, rtol=0)
    np.testing.assert_allclose(d_grid, grid.grad.numpy(), atol=1e-4, rtol=0)


def test_pixel_centres_return_pixel_values():
    """align_corners=False: pixel (i, j) centre is at ((2j + 1) / W - 1, (2i + 1) / H - 1)."""
    images = jnp.arange(12.0).reshape(1, 3, 4, 1)
    cols, rows = np.meshgrid((2 * np.arange(4) + 1) / 4 - 1, (2 * np.arange(3) + 1) / 3 - 1)
    grid = jnp.asarray(np.stack([cols, rows], -1)[None], jnp.float32)
    np.testing.assert_allclose(grid_sample(images, grid), images, atol=1e-5)
