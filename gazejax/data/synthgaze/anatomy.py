"""The numbers of the SynthGaze head: base geometry, code dimensions, ranges.

Units are EG3D world units (the head fits in the cube [-0.5, 0.5]^3; one unit
is about 30 cm, so a 12 mm eyeball radius is 0.042). World frame: +x is the
subject's left (image right in a frontal view), +y up, the face looks toward
+z. Everything here is data; :mod:`params` turns codes into a scene with it.
"""

import math

import numpy as np

# Per-identity / per-sample code sizes (schema: shape_code (S,), ...).
SHAPE_DIM = 12
TEXTURE_DIM = 12
ILLUMINATION_DIM = 11
EXPRESSION_DIM = 4

# Sampling ranges (radians): gaze in the head frame, camera on its orbit.
GAZE_PITCH_MAX = math.radians(25.0)
GAZE_YAW_MAX = math.radians(35.0)
CAMERA_PITCH_MAX = math.radians(30.0)
CAMERA_YAW_MAX = math.radians(45.0)

# Skin-covered ellipsoids: name -> (centre, radii, tilt about x in radians,
# material). The union of these convex solids is the head; the first entry
# along a ray is the visible skin point.
SKIN, LIPS, HAIR_CAP = 0, 1, 2
SKIN_PRIMITIVES = {
    "cranium": ((0.0, 0.11, -0.07), (0.235, 0.29, 0.28), 0.0, HAIR_CAP),
    "jaw": ((0.0, -0.09, 0.0), (0.19, 0.25, 0.2), 0.0, SKIN),
    "brow": ((0.0, 0.1, 0.13), (0.2, 0.045, 0.08), 0.0, SKIN),
    "nose": ((0.0, -0.04, 0.2), (0.03, 0.085, 0.05), -0.3, SKIN),
    "nose_tip": ((0.0, -0.09, 0.228), (0.03, 0.025, 0.028), 0.0, SKIN),
    "upper_lip": ((0.0, -0.175, 0.17), (0.06, 0.02, 0.04), 0.0, LIPS),
    "lower_lip": ((0.0, -0.205, 0.165), (0.055, 0.02, 0.04), 0.0, LIPS),
    "chin": ((0.0, -0.27, 0.1), (0.07, 0.05, 0.07), 0.0, SKIN),
    "ear_left": ((0.235, 0.02, -0.04), (0.03, 0.07, 0.045), 0.0, SKIN),
    "ear_right": ((-0.235, 0.02, -0.04), (0.03, 0.07, 0.045), 0.0, SKIN),
}
SKIN_CENTRES = np.array([p[0] for p in SKIN_PRIMITIVES.values()], np.float32)
SKIN_RADII = np.array([p[1] for p in SKIN_PRIMITIVES.values()], np.float32)
SKIN_TILTS = np.array([p[2] for p in SKIN_PRIMITIVES.values()], np.float32)
SKIN_MATERIALS = np.array([p[3] for p in SKIN_PRIMITIVES.values()], np.int32)
PRIMITIVE_INDEX = {name: i for i, name in enumerate(SKIN_PRIMITIVES)}

# Eyes: index 0 is the subject's LEFT eye (world +x), 1 the right eye.
EYE_CENTRE_LEFT = (0.1, 0.03, 0.15)
EYEBALL_RADIUS = 0.042
# The lids are the part of a concentric sphere (1 mm thicker than the
# eyeball) outside the eye opening; the eyeball shows through the opening.
LID_RADIUS_RATIO = 1.08
# Eye opening in angles around the eye centre (temporal azimuth a, elevation b):
# |a - OPENING_CENTRE| < OPENING_HALF_WIDTH, lower(a) < b < upper(a).
OPENING_CENTRE = math.radians(8.0)
OPENING_HALF_WIDTH = math.radians(52.0)
UPPER_LID = math.radians(22.0)
LOWER_LID = math.radians(-17.0)
# How much the lids follow the gaze pitch (looking down lowers the upper lid).
UPPER_LID_FOLLOW = 0.8
LOWER_LID_FOLLOW = 0.45
MIN_OPENING = math.radians(3.0)
LASH_WIDTH = math.radians(7.0)
# Iris and pupil as angular radii around the gaze axis on the eyeball.
IRIS_ANGLE = math.radians(29.0)
PUPIL_ANGLE = math.radians(11.0)

# Eyebrows: an arc above each eye (world units, relative to the eye centre).
BROW_HEIGHT = 0.075
BROW_HALF_WIDTH = 0.065
BROW_ARCH = 0.012
BROW_THICKNESS = 0.008

# Hair covers the cranium above a hairline that drops toward the back.
HAIRLINE_FRONT = 0.22
HAIRLINE_SLOPE = 1.3
HAIRLINE_START_Z = 0.08
MOUTH_LINE_HALF_WIDTH = 0.004

# How codes (uniform in [-1, 1]) move the head. A value written (mid, spread)
# becomes mid + spread * code. Each comment names the code entry.
# Primitive edits: (code, entry, primitives, "centres"/"radii", axis, amount,
# "shift" = add amount * code / "scale" = multiply by 1 + amount * code).
SHAPE, EXPRESSION = "shape", "expression"
PRIMITIVE_EDITS = (
    (SHAPE, 3, ("jaw", "chin"), "radii", 0, 0.1, "scale"),  # jaw width
    # jaw length
    (SHAPE, 4, ("jaw", "chin", "upper_lip", "lower_lip"), "centres", 1, -0.02, "shift"),
    (SHAPE, 5, ("nose",), "radii", 1, 0.15, "scale"),  # nose length
    (SHAPE, 6, ("nose", "nose_tip"), "centres", 2, 0.012, "shift"),  # nose protrusion
    (SHAPE, 7, ("nose", "nose_tip"), "radii", 0, 0.2, "scale"),  # nose width
    (SHAPE, 11, ("brow",), "centres", 2, 0.01, "shift"),  # brow prominence
    (EXPRESSION, 2, ("upper_lip", "lower_lip"), "radii", 0, 0.12, "scale"),  # mouth width
)
HEAD_SCALE_SPREAD = (0.07, 0.05, 0.05)  # shape 0..2: head width, height, depth
EYE_SPACING_SPREAD = 0.008  # shape 8
EYE_HEIGHT_SPREAD = 0.01  # shape 9
EYEBALL_SIZE_SPREAD = 0.06  # shape 10 (relative)
LID_OPENNESS_SPREAD = (0.06, -0.03)  # expression 0: upper, lower lid (radians)
OPENING_TILT_SPREAD = 0.05  # expression 1 (radians)
BROW_RAISE_SPREAD = 0.01  # expression 3
SKIN_TINT = (0.04, (1.0, -0.3, -0.5))  # texture 1: amount, RGB direction
PALETTE_SHARPNESS = 2.0  # texture 2,3 (iris) and 5,6 (hair): softmax temperature^-1
IRIS_BRIGHTNESS_SPREAD = 0.25  # texture 4
HAIR_BRIGHTNESS_SPREAD = 0.2  # texture 7
LIP_MIX = (0.45, 0.2)  # texture 8
IRIS_STREAKS = (14.0, 6.0)  # texture 9 (rounded; texture 10 is the phase)
BROW_THICKNESS_SPREAD = 0.3  # texture 11 (relative)
LIGHT_AZIMUTH_SPREAD = 1.05  # illumination 0 (radians)
LIGHT_ELEVATION = (0.5, 0.35)  # illumination 1 (radians)
LIGHT_WARMTH_SPREAD = 0.12  # illumination 2
LIGHT_INTENSITY = (1.05, 0.2)  # illumination 3
AMBIENT = (0.35, 0.1)  # illumination 4
BACKGROUND = (0.5, 0.4)  # illumination 5..7 (top RGB), 8..10 (bottom RGB)

# Colours (linear RGB albedo) that the texture codes interpolate between.
SKIN_LIGHT = (0.93, 0.76, 0.66)
SKIN_DARK = (0.36, 0.23, 0.16)
IRIS_PALETTE = ((0.25, 0.45, 0.75), (0.35, 0.55, 0.3), (0.4, 0.22, 0.1))
HAIR_PALETTE = ((0.08, 0.06, 0.05), (0.45, 0.3, 0.15), (0.85, 0.7, 0.45))
LIP_TINT = (0.75, 0.35, 0.35)
SCLERA = (0.95, 0.93, 0.9)
SOCKET = (0.35, 0.15, 0.15)
PUPIL = (0.03, 0.03, 0.03)
LASH = (0.05, 0.04, 0.04)

# Lighting: Lambertian with wrap-around (soft terminator) plus ambient, and a
# Blinn-Phong corneal highlight (weaker on the sclera).
LIGHT_WRAP = 0.25
CORNEA_SHININESS = 80.0
CORNEA_SPECULAR = 0.9
CORNEA_ANGLE = 1.1 * IRIS_ANGLE
SCLERA_SPECULAR_RATIO = 0.15
BACKGROUND_GRADIENT = 2.0  # colour change per unit of vertical ray direction

# Surface detail (multipliers on albedo; angles in radians).
IRIS_STREAK_CONTRAST = 0.2
LIMBUS_START, LIMBUS_DARKENING = 0.75, 0.55  # dark ring from 0.75 x iris radius
COLLARETTE_END, COLLARETTE_BRIGHTENING = 1.6, 0.35  # bright ring out to 1.6 x pupil
SCLERA_EDGE_SHADE = (0.15, 1.2, 1.9)  # amount, from/to angle off the gaze axis
LID_SHADOW = (0.45, 0.35, 0.12)  # darkest, reach below upper lid, above lower lid
LID_SHADE = 0.95
MOUTH_LINE_SHADE = 0.35
BROW_SHADE = 0.8
BROW_TAPER = 0.4  # thinner toward the temple

# Eye patches (ColumbiaGaze/PRGAN style): side length and the enclosing-circle
# scale of PRGAN's crop rule.
EYE_PATCH_SIZE = 64
EYE_PATCH_SCALE = 1.7
