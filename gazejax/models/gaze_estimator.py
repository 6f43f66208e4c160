"""A converted (or SynthGaze-trained) gaze estimator as one function.

Every estimator module listed in :data:`ESTIMATOR_MODULES` has
``predict_angles(module, variables, images, info) -> {'gaze': (N, 2)[,
'head': (N, 2)]}`` in our (pitch, yaw) radians: each converts its own
output convention there. :func:`estimate_angles` adds the resize to the
network's input size; :func:`load_gaze_estimator` turns a directory written
by ``gazejax convert`` (or exported by ``gazejax evaluate`` of an L2CS run)
into a jitted ``images (N, H, W, 3) in [0, 1] -> (N, 2)`` gaze function.
"""

import importlib

import jax

# converted network name -> module with predict_angles(module, variables, images, info)
ESTIMATOR_MODULES = {
    "l2cs": "gazejax.models.l2cs",
    "xgaze-resnet50": "gazejax.models.xgaze_resnet",
    "gazenerf-vgg-estimator": "gazejax.models.gazenerf_estimator",
}


def check_estimator(info, directory):
    """ValueError naming the network when ``directory`` holds no gaze estimator."""
    if info["network"] not in ESTIMATOR_MODULES:
        raise ValueError(
            f"{directory} holds {info['network']!r}, not a gaze estimator "
            f"({', '.join(ESTIMATOR_MODULES)})"
        )


def estimate_angles(module, variables, info, images):
    """``{'gaze'[, 'head']}`` (N, 2) radians of (N, H, W, 3) images in [0, 1].

    Images of another size than ``info['input_size']`` are resized bilinearly
    first. Differentiable with respect to ``images`` (functional losses).
    """
    size = info["input_size"]
    if images.shape[1:3] != (size, size):
        images = jax.image.resize(images, (images.shape[0], size, size, 3), "bilinear")
    predict = importlib.import_module(ESTIMATOR_MODULES[info["network"]]).predict_angles
    return predict(module, variables, images, info)


def load_gaze_estimator(directory):
    """Returns ``(estimate, info)``: ``estimate`` maps images to (N, 2) gaze radians."""
    from gazejax.convert import load  # noqa: PLC0415 -- orbax only when weights are used

    module, variables, info = load(directory)
    check_estimator(info, directory)
    return jax.jit(lambda images: estimate_angles(module, variables, info, images)["gaze"]), info
