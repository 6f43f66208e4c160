"""L2CS-Net gaze estimator (Abdelrahman et al., 2022; ``l2cs/model.py``).

A torchvision ResNet backbone with two bin-classification heads,
``fc_yaw_gaze`` and ``fc_pitch_gaze`` (Linear C -> num_bins). The continuous
angle is the softmax expectation over bins (paper Sec. 3, Eq. 1-2), kept
differentiable here; the gaze-corrected EG3D reference code detaches it
(``softmax(...).data``), so its gaze loss has no gradient (docs/equations.md).

The reference's ``forward`` returns ``(yaw, pitch)`` and its scripts unpack
them as ``(pitch, yaw)`` (L2CS issue #32); ours returns a dict keyed by the
true names, and :func:`predict_angles` maps to our (pitch, yaw) radians
through ``gazejax.geometry.from_l2cs`` (the one conversion).

``head_pose=True`` adds our extension for SynthGaze judges: a second pair of
bin heads, ``fc_yaw_head``/``fc_pitch_head``, for the camera-frame head pose,
so one judge scores both the gaze and the head pose of a redirected face. The
released checkpoints have none.
"""

import dataclasses
from typing import Any

import flax.linen as nn
import jax
import jax.numpy as jnp

from gazejax.geometry import from_l2cs
from gazejax.nn.image_input import imagenet_normalize
from gazejax.nn.resnet import ResNet


@dataclasses.dataclass(frozen=True)
class Binning:
    """Angle bins in degrees: bin i covers ``[start + i*width, start + (i+1)*width)``."""

    num_bins: int
    width_deg: float
    start_deg: float


# The two binnings of the released models (``l2cs/datasets.py``).
BINNINGS = {
    "gaze360": Binning(num_bins=90, width_deg=4.0, start_deg=-180.0),
    "mpiigaze": Binning(num_bins=28, width_deg=3.0, start_deg=-42.0),
}
INPUT_SIZE = 448


def binning_for(num_bins):
    """The named binning with this many bins (ValueError if none)."""
    for name, b in BINNINGS.items():
        if b.num_bins == num_bins:
            return name
    known = ", ".join(f"{n} ({b.num_bins} bins)" for n, b in BINNINGS.items())
    raise ValueError(f"no known L2CS binning has {num_bins} bins; known: {known}")


class L2CS(nn.Module):
    """L2CS-Net.

    Attributes:
      depth: ResNet depth (the released models use 50).
      num_bins: bins per angle (90 for Gaze360, 28 for MPIIGaze).
      head_pose: also predict the head pose (``fc_*_head``; not in the paper).
      width: the ResNet's base width (64 in the released models).
      dtype: compute dtype (parameters stay float32; logits are float32).

    Call: ``images`` (N, H, W, 3) RGB in [0, 1] (the reference uses 448^2;
    ImageNet normalisation is done here) -> ``{'pitch': (N, num_bins),
    'yaw': (N, num_bins)}`` logits, plus ``'head_pitch'``, ``'head_yaw'``
    (N, num_bins) with ``head_pose``.
    """

    depth: int = 50
    num_bins: int = 90
    head_pose: bool = False
    width: int = 64
    dtype: Any = jnp.float32

    @nn.compact
    def __call__(self, images, train=False):
        backbone = ResNet(self.depth, width=self.width, dtype=self.dtype, name="backbone")
        features = backbone(imagenet_normalize(images), train)
        heads = ["pitch", "yaw"] + (["head_pitch", "head_yaw"] if self.head_pose else [])
        names = {"pitch": "fc_pitch_gaze", "yaw": "fc_yaw_gaze",
                 "head_pitch": "fc_pitch_head", "head_yaw": "fc_yaw_head"}
        return {
            head: nn.Dense(self.num_bins, dtype=self.dtype, name=names[head])(features).astype(jnp.float32)
            for head in heads
        }


def expected_angle_deg(logits, binning):
    """Softmax expectation of the bin index, in degrees (paper Eq. 2).

    ``(N, num_bins)`` -> ``(N,)``: ``sum_i softmax_i * i * width + start``.
    Index i decodes to the bin's left edge, as in the reference.
    """
    probs = jax.nn.softmax(logits, axis=-1)
    index = jnp.arange(binning.num_bins, dtype=logits.dtype)
    return jnp.sum(probs * index, axis=-1) * binning.width_deg + binning.start_deg


def bin_index(angle_deg, binning):
    """Class label of an angle in degrees (``np.digitize(deg, edges) - 1``), clipped to the bins."""
    index = jnp.floor((angle_deg - binning.start_deg) / binning.width_deg).astype(jnp.int32)
    return jnp.clip(index, 0, binning.num_bins - 1)


def logits_to_pitchyaw(logits, binning, prefix=""):
    """L2CS logits dict -> our (pitch, yaw) radians ``(N, 2)``, differentiable.

    ``prefix='head_'`` decodes the head-pose heads instead of the gaze heads.
    """
    return from_l2cs(
        expected_angle_deg(logits[prefix + "yaw"], binning),
        expected_angle_deg(logits[prefix + "pitch"], binning),
        degrees=True,
    )


def logits_to_angles(logits, binning):
    """L2CS logits dict -> ``{'gaze': (N, 2)[, 'head': (N, 2)]}`` our radians."""
    angles = {"gaze": logits_to_pitchyaw(logits, binning)}
    if "head_yaw" in logits:
        angles["head"] = logits_to_pitchyaw(logits, binning, prefix="head_")
    return angles


def mirror_averaged(predict, images):
    """``predict`` averaged over each image and its left-right mirror (test-time augmentation).

    A mirror negates the yaw (``gazejax.data.augment``), so the mirrored
    prediction's yaw is negated back before averaging. ``predict``:
    (M, H, W, 3) -> (M, 2), or a dict of such; returns the same for the
    (N, H, W, 3) ``images``.
    """
    n = images.shape[0]
    both = predict(jnp.concatenate([images, images[:, :, ::-1]]))
    return jax.tree.map(lambda a: 0.5 * (a[:n] + a[n:] * jnp.array([1.0, -1.0], a.dtype)), both)


def predict_angles(module, variables, images, info):
    """(N, H, W, 3) images in [0, 1] at the network's input size -> ``{'gaze'[, 'head']}`` (N, 2) radians.

    ``'head'`` when the network has head-pose heads. With
    ``info['mirror_average']`` (a SynthGaze judge trained with mirroring), the
    prediction is :func:`mirror_averaged`.
    """
    binning = BINNINGS[info["binning"]]

    def predict(x):
        return logits_to_angles(module.apply(variables, x), binning)

    return mirror_averaged(predict, images) if info.get("mirror_average") else predict(images)
