"""GazeNeRF's training objective (paper Eq. 4-12; reference ``GazeNeRFLoss``).

Masks (as the reference code): H = head (``face_mask``), E = left | right
eye, F = H and not E, N = not H. Terms, each with weight 1 unless a config
weight says otherwise:

- ``head``, ``face``, ``eyes``: masked L1 of the merged / face-only / eye
  image over H / F / E (paper Eq. 5-6; the code's ``use_l1_loss``; set
  ``pixel='l2'`` for HeadNeRF's MSE);
- ``merged_eyes`` (ours, off unless ``merged_eye_weight`` > 0): masked L1 of
  the merged image over E. The ``head`` term covers the eyes too, but where
  they are ~1% of the head (SynthGaze at 64^2) the max merge keeps the face
  stream's features there and the merged image has no eyes at all, however
  well the eye stream draws them;
- ``nonhead``: MSE(merged, 1) over N; ``bg``: MSE(background image, 1);
- ``vgg_face``, ``vgg_eyes``, ``vgg``: VGG16 perceptual loss of each image
  against the ground truth whitened outside F / E / H (paper Eq. 7-8);
- ``angular``: functional loss, degrees between the frozen estimator's gaze
  on the merged image and on the whitened ground truth (paper Eq. 9-11),
  times ``eye_loss_importance / 60000`` as the code.
"""

import jax.numpy as jnp

from gazejax.losses.gaze import functional_angular_loss
from gazejax.losses.perceptual import perceptual_loss
from gazejax.losses.reconstruction import masked_l1, masked_mse

WHITE = 1.0  # the reference's white background


def region_masks(record):
    """(H, F, E, N) float masks ``(B, H, W)`` of a batch record."""
    head = (record["face_mask"] >= 0.5).astype(jnp.float32)
    eyes = jnp.maximum(record["left_eye_mask"] >= 0.5, record["right_eye_mask"] >= 0.5)
    eyes = eyes.astype(jnp.float32)
    return head, head * (1.0 - eyes), eyes, 1.0 - head


def whiten_outside(image, mask):
    """``image`` with pixels outside ``mask`` ``(B, H, W)`` set to white."""
    m = mask[..., None]
    return image * m + WHITE * (1.0 - m)


def image_losses(images, record, pixel="l1", vgg=None, vgg_layers=(), vgg_weights=(),
                 vgg_importance=1.0, estimator=None, angular_weight=0.0, merged_eye_weight=0.0):
    """All image terms as a dict of scalars (unweighted except ``vgg`` and ``angular``).

    Args:
      images: model output {'face', 'eyes', 'merged', 'background'}.
      record: batch with ``image`` ``(B, H, W, 3)`` and the three masks.
      pixel: 'l1' (GazeNeRF) or 'l2'.
      vgg: callable images -> {layer: features} (frozen), or None to skip.
      vgg_layers, vgg_weights: taps and their weights.
      vgg_importance: weight of the merged-image VGG term.
      estimator: callable images -> {'gaze': ...} (frozen), or None to skip.
      angular_weight: ``eye_loss_importance / 60000``.
      merged_eye_weight: weight of the ``merged_eyes`` term (0: not computed).
    """
    gt = record["image"]
    head, face, eyes, nonhead = region_masks(record)
    pixel_loss = masked_l1 if pixel == "l1" else masked_mse
    out = {
        "head": pixel_loss(images["merged"], gt, head),
        "face": pixel_loss(images["face"], gt, face),
        "eyes": pixel_loss(images["eyes"], gt, eyes),
        "nonhead": masked_mse(images["merged"], jnp.full_like(gt, WHITE), nonhead),
        "bg": jnp.mean(jnp.square(images["background"] - WHITE)),
    }
    if merged_eye_weight > 0:
        out["merged_eyes"] = merged_eye_weight * pixel_loss(images["merged"], gt, eyes)
    gt_head = whiten_outside(gt, head)
    if vgg is not None:
        def vgg_loss(pred, target):
            return perceptual_loss(vgg(pred), vgg(target), vgg_layers, vgg_weights)

        out["vgg_face"] = vgg_loss(images["face"], whiten_outside(gt, face))
        out["vgg_eyes"] = vgg_loss(images["eyes"], whiten_outside(gt, eyes))
        out["vgg"] = vgg_importance * vgg_loss(images["merged"], gt_head)
    if estimator is not None and angular_weight > 0:
        out["angular"] = angular_weight * functional_angular_loss(estimator, images["merged"], gt_head)
    return out
