"""Test inputs, random torch weights and random Flax variables for the parity and loss tests.

The torch networks themselves are in ``gazejax.torch_reference``.
"""

import numpy as np
import torch

# torchvision's Normalize of the references' transforms, written out so that the
# parity tests do not take the library's own copy on trust.
IMAGENET_MEAN = np.array([0.485, 0.456, 0.406], np.float32)
IMAGENET_STD = np.array([0.229, 0.224, 0.225], np.float32)


def randomize(module, seed=0):
    """Random weights and BatchNorm statistics (non-trivial scales), eval mode."""
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in module.state_dict().items():
            if name.endswith("num_batches_tracked") or name.startswith("scaling_layer"):
                continue
            if name.endswith("running_var"):
                p.copy_(torch.rand(p.shape, generator=gen) + 0.5)
            elif name.endswith(("running_mean", "bias")):
                p.copy_(torch.randn(p.shape, generator=gen) * 0.1)
            elif p.ndim == 1:  # BatchNorm weight; < 1 so residual sums stay O(1)
                p.copy_(torch.rand(p.shape, generator=gen) * 0.4 + 0.2)
            else:  # He-normal, so activations keep their scale through depth
                fan_in = p[0].numel()
                p.copy_(torch.randn(p.shape, generator=gen) * np.sqrt(2.0 / fan_in))
    return module.eval()


def to_nchw(images_nhwc, imagenet=True):
    """[0, 1] NHWC numpy -> NCHW torch tensor, ImageNet-normalised like the references' transforms."""
    x = (images_nhwc - IMAGENET_MEAN) / IMAGENET_STD if imagenet else images_nhwc
    return torch.from_numpy(np.ascontiguousarray(x.transpose(0, 3, 1, 2), dtype=np.float32))


def images(n, size, seed=0):
    return np.random.default_rng(seed).random((n, size, size, 3), dtype=np.float32)


def random_variables(module, *inputs, seed=0):
    """Random variables for a Flax module without running its (slow, unjitted) init.

    Shapes come from ``jax.eval_shape``; kernels are He-normal, BatchNorm and
    everything else like torch's defaults.
    """
    import flax.traverse_util  # noqa: PLC0415
    import jax  # noqa: PLC0415

    abstract = jax.eval_shape(module.init, jax.random.key(0), *inputs)
    rng = np.random.default_rng(seed)
    flat = {}
    for path, leaf in flax.traverse_util.flatten_dict(abstract).items():
        if path[-1] == "kernel":
            fan_in = int(np.prod(leaf.shape[:-1]))
            value = rng.standard_normal(leaf.shape) * np.sqrt(2.0 / fan_in)
        elif path[-1] in ("scale", "var"):
            value = np.ones(leaf.shape)
        else:
            value = rng.standard_normal(leaf.shape) * 0.01
        flat[path] = value.astype(np.float32)
    return flax.traverse_util.unflatten_dict(flat)
