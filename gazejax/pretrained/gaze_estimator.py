"""A converted (or SynthGaze-trained) gaze estimator as one function.

Every estimator module listed in :data:`ESTIMATOR_MODULES` has
``predict_angles(module, variables, images, info) -> {'gaze': (N, 2)[,
'head': (N, 2)]}`` in our (pitch, yaw) radians: each converts its own
output convention there. :func:`estimate_angles` adds the crop and resize to
the network's input (as the network saw its training images);
:func:`load_gaze_estimator` turns a directory written by ``gazejax convert``
(or exported by ``gazejax evaluate`` of an L2CS run) into a jitted
``images (N, H, W, 3) in [0, 1] -> {'gaze'[, 'head']} (N, 2)`` function.
"""

import importlib

import jax

from gazejax.convert import load
from gazejax.nn.image_input import crop_and_resize

# estimator output -> the SynthGaze record key of its camera-frame label (evaluations score against it)
LABEL_KEYS = {"gaze": "gaze", "head": "head_pose"}

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

    The images are cropped to ``info['crop']`` (fractions ``(top, left,
    side)``; SynthGaze judges) and resized bilinearly to ``info['input_size']``,
    antialiased when ``info['antialias']`` (as our judges were trained; the
    converted networks follow their references' plain interpolation).
    Differentiable with respect to ``images`` (functional losses).
    """
    images = crop_and_resize(images, info["input_size"], info.get("crop"), antialias=info.get("antialias", False))
    predict = importlib.import_module(ESTIMATOR_MODULES[info["network"]]).predict_angles
    return predict(module, variables, images, info)


def load_gaze_estimator(directory):
    """Returns ``(estimate, info)``: ``estimate`` maps images to ``{'gaze'[, 'head']}`` (N, 2) radians."""
    module, variables, info = load(directory)
    check_estimator(info, directory)
    return jax.jit(lambda images: estimate_angles(module, variables, info, images)), info
