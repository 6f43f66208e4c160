"""A random-weight ResNet-18 L2CS judge saved as an exported SynthGaze judge.

Random weights: the tests that use it check plumbing (which errors appear,
that they are computed from the right images), not accuracy.
"""

import jax
import jax.numpy as jnp

from gazejax import convert
from gazejax.models.l2cs import L2CS


def save_random_judge(directory, input_size, head_pose=False, crop=None):
    """Writes the judge to ``directory`` and returns the path as a string."""
    net = L2CS(depth=18, num_bins=90, head_pose=head_pose)
    variables = jax.jit(net.init)(jax.random.key(5), jnp.zeros((1, input_size, input_size, 3)))
    info = {"network": "l2cs", "arch": "resnet18", "depth": 18, "binning": "gaze360", "num_bins": 90,
            "input_size": input_size, "mirror_average": True, "head_pose": head_pose,
            "crop": list(crop) if crop else None, "antialias": True}
    convert.save(directory, info, variables)
    return str(directory)
