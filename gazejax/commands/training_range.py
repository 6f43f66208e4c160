"""The gaze range a run was trained on, and the refusal of a target outside it.

A model conditioned on a gaze it never saw extrapolates, usually into a
wrong or broken eye, so a photo command refuses such a target unless
``--allow-extrapolation`` is given. The range is the head-frame gaze the
run's data covers:

=====================  ==================================================
``data.builder``       head-frame gaze range
=====================  ==================================================
``synthgaze``          ``|pitch| <= 25 deg``, ``|yaw| <= 35 deg``
                       (:mod:`gazejax.data.synthgaze.anatomy`)
anything else          not known: not checked
=====================  ==================================================
"""

import math

from gazejax.cli import UsageError


def training_gaze_range(config):
    """``(max |pitch|, max |yaw|)`` radians of the run's training gaze, or None when unknown."""
    if config.get("data", {}).get("builder") != "synthgaze":
        return None
    from gazejax.data.synthgaze import anatomy  # noqa: PLC0415

    return anatomy.GAZE_PITCH_MAX, anatomy.GAZE_YAW_MAX


def check_in_training_range(head_gazes, config, allow_extrapolation):
    """UsageError (one line) when a head-frame gaze ``(F, 2)`` lies outside :func:`training_gaze_range`."""
    limits = training_gaze_range(config)
    if limits is None or allow_extrapolation:
        return
    for index, (pitch, yaw) in enumerate(head_gazes):
        if abs(pitch) > limits[0] or abs(yaw) > limits[1]:
            raise UsageError(
                f"face {index}: the target is a head-frame gaze of ({pitch:.3f}, {yaw:.3f}) rad, outside the "
                f"model's training range |pitch| <= {limits[0]:.3f}, |yaw| <= {limits[1]:.3f} "
                f"({math.degrees(limits[0]):.0f}, {math.degrees(limits[1]):.0f} deg); "
                "give --allow-extrapolation to try anyway")
