"""A converted (or SynthGaze-trained) gaze estimator as one function.

``load_gaze_estimator(DIR)`` turns a directory written by ``gazejax convert``
(or exported by ``gazejax evaluate`` of an L2CS run) into a jitted
``images (N, H, W, 3) in [0, 1] -> (N, 2)`` (pitch, yaw) radians, our
convention. Each estimator module converts its own output convention in its
``predict_pitchyaw``.
"""

import importlib

import jax

# converted network name -> module with predict_pitchyaw(module, variables, images, info)
ESTIMATOR_MODULES = {
    "l2cs": "gazejax.models.l2cs",
    "xgaze-resnet50": "gazejax.models.xgaze_resnet",
    "gazenerf-vgg-estimator": "gazejax.models.gazenerf_estimator",
}


def load_gaze_estimator(directory):
    """Returns ``(estimate, info)``; images of another size are resized bilinearly first.

    Raises ValueError naming the network when the directory holds no gaze estimator.
    """
    from gazejax.convert import load  # noqa: PLC0415 -- orbax only when weights are used

    module, variables, info = load(directory)
    if info["network"] not in ESTIMATOR_MODULES:
        raise ValueError(
            f"{directory} holds {info['network']!r}, not a gaze estimator "
            f"({', '.join(ESTIMATOR_MODULES)})"
        )
    predict = importlib.import_module(ESTIMATOR_MODULES[info["network"]]).predict_pitchyaw
    size = info.get("input_size")

    def estimate(images):
        if size and images.shape[1:3] != (size, size):
            images = jax.image.resize(images, (images.shape[0], size, size, 3), "bilinear")
        return predict(module, variables, images, info)

    return jax.jit(estimate), info
