"""GazeNeRF's image terms score the regions the reference's masks give them."""

import jax.numpy as jnp
import numpy as np

from gazejax.methods.gazenerf.losses import image_losses

SIZE = 16


def _record():
    """Grey image; head = the central 8x8 square; eyes = 2x3 pixels of it (one per side)."""
    head = np.zeros((1, SIZE, SIZE), np.float32)
    head[:, 4:12, 4:12] = 1
    left, right = np.zeros_like(head), np.zeros_like(head)
    left[:, 6, 8:11] = 1
    right[:, 6, 5:8] = 1
    return {"image": jnp.full((1, SIZE, SIZE, 3), 0.5), "face_mask": jnp.asarray(head),
            "left_eye_mask": jnp.asarray(left), "right_eye_mask": jnp.asarray(right)}


def test_terms_cover_their_regions():
    record = _record()
    eyes = np.maximum(record["left_eye_mask"], record["right_eye_mask"])[..., None]
    gt = record["image"]
    images = {"merged": gt + 0.2 * eyes, "face": gt + 0.3 * eyes, "eyes": gt + 0.1,
              "background": jnp.ones((1, SIZE, SIZE, 3))}
    terms = image_losses(images, record, merged_eye_weight=2.0)
    np.testing.assert_allclose(terms["head"], 0.2 * 6 / 64, rtol=1e-6)  # 6 eye pixels of 64
    np.testing.assert_allclose(terms["face"], 0.0, atol=1e-7)  # the face term leaves the eyes out
    np.testing.assert_allclose(terms["eyes"], 0.1, rtol=1e-6)
    np.testing.assert_allclose(terms["merged_eyes"], 2.0 * 0.2, rtol=1e-6)  # weight x eye-region L1
    np.testing.assert_allclose(terms["nonhead"], 0.25, rtol=1e-6)  # grey outside the head vs white
    np.testing.assert_allclose(terms["bg"], 0.0, atol=1e-7)
    assert "merged_eyes" not in image_losses(images, record)  # the reference's objective: off
