"""SynthGaze: a procedural, analytically ray-cast head with rotating eyeballs.

One record = one (identity, frame, view); see :func:`records` for the keys.
Frames: world = EG3D's (head at the origin, face toward +z, +y up, inside
[-0.5, 0.5]^3); head frame = ETH-XGaze's (identity rotation = frontal face);
gaze and head pose are (pitch, yaw) radians (docs/conventions.md).

Modules, one concern each: ``anatomy`` (the numbers), ``params`` (random
codes -> :class:`Scene`), ``scene`` (ray-surface intersection), ``shading``,
``render`` (chunked rays -> images), ``eye_patches`` (crop cameras),
``sample`` (records), ``contact_sheet`` (the preview image).
"""

from gazejax.data.synthgaze.anatomy import (
    EXPRESSION_DIM,
    EYE_PATCH_SIZE,
    ILLUMINATION_DIM,
    SHAPE_DIM,
    TEXTURE_DIM,
)
from gazejax.data.synthgaze.params import Scene, build_scene
from gazejax.data.synthgaze.render import render_rays
from gazejax.data.synthgaze.sample import (
    check_resolution,
    controlled_records,
    record_labels,
    records,
)

__all__ = [
    "EXPRESSION_DIM",
    "EYE_PATCH_SIZE",
    "ILLUMINATION_DIM",
    "SHAPE_DIM",
    "TEXTURE_DIM",
    "Scene",
    "build_scene",
    "check_resolution",
    "controlled_records",
    "record_labels",
    "records",
    "render_rays",
]
