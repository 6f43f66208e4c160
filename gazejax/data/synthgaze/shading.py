"""Albedo and lighting of a ray's hit (one ray; vmap for many).

Lighting is Lambertian with a soft "wrap" terminator plus ambient, tinted by
the sample's light colour; the cornea adds a Blinn-Phong highlight. The
eyeball darkens near the lids (a cheap stand-in for the lids' shadow).
"""

import jax.numpy as jnp

from gazejax.data.synthgaze import anatomy as A
from gazejax.data.synthgaze.scene import (
    BACKGROUND,
    EYE_SIDES,
    EYEBALL,
    LID,
    SKIN,
    SOCKET,
    eye_angles,
    lid_curves,
)


def _smoothstep(lo, hi, x):
    s = jnp.clip((x - lo) / (hi - lo), 0.0, 1.0)
    return s * s * (3.0 - 2.0 * s)


def iris_coordinates(scene, u):
    """Direction ``u`` (3,) from the eye centre -> (angle to the gaze axis, azimuth around it)."""
    g = scene.gaze
    e1 = jnp.cross(jnp.array([0.0, 1.0, 0.0]), g)
    e1 = e1 / jnp.linalg.norm(e1)
    e2 = jnp.cross(g, e1)
    theta = jnp.arccos(jnp.clip(jnp.dot(u, g), -1.0, 1.0))
    return theta, jnp.arctan2(jnp.dot(u, e2), jnp.dot(u, e1))


def _eyeball_albedo(scene, theta, phi):
    f = scene.iris_frequency
    wave = jnp.sin(f * phi + scene.iris_phase) * jnp.cos(0.5 * f * phi)
    streaks = 1.0 - A.IRIS_STREAK_CONTRAST + A.IRIS_STREAK_CONTRAST * wave
    limbus_start = A.LIMBUS_START * A.IRIS_ANGLE
    limbus = 1.0 - A.LIMBUS_DARKENING * _smoothstep(limbus_start, A.IRIS_ANGLE, theta)
    collarette_end = A.COLLARETTE_END * A.PUPIL_ANGLE
    collarette = 1.0 + A.COLLARETTE_BRIGHTENING * _smoothstep(collarette_end, A.PUPIL_ANGLE, theta)
    iris = scene.iris_albedo * streaks * limbus * collarette
    pupil = jnp.asarray(A.PUPIL)
    shade_amount, shade_from, shade_to = A.SCLERA_EDGE_SHADE
    sclera = jnp.asarray(A.SCLERA) * (1.0 - shade_amount * _smoothstep(shade_from, shade_to, theta))
    albedo = jnp.where(theta < A.IRIS_ANGLE, iris, sclera)
    return jnp.where(theta < A.PUPIL_ANGLE, pupil, albedo)


def _skin_albedo(scene, hit):
    p, material = hit["point"], scene.skin_materials[hit["primitive"]]
    albedo = jnp.where(material == A.LIPS, scene.lip_albedo, scene.skin_albedo)
    albedo = jnp.where(
        (material == A.LIPS) & (jnp.abs(p[1] - scene.mouth_y) < A.MOUTH_LINE_HALF_WIDTH),
        A.MOUTH_LINE_SHADE * scene.lip_albedo,
        albedo,
    )
    # Hairline in the unscaled head, so every head size gets the same cut.
    q = p / scene.head_scale
    hairline = A.HAIRLINE_FRONT - A.HAIRLINE_SLOPE * jnp.maximum(0.0, A.HAIRLINE_START_Z - q[2])
    albedo = jnp.where((material == A.HAIR_CAP) & (q[1] > hairline), scene.hair_albedo, albedo)

    for e in range(2):
        centre = scene.eye_centres[e]
        dx = (p[0] - centre[0]) * EYE_SIDES[e] / A.BROW_HALF_WIDTH
        arc = centre[1] + A.BROW_HEIGHT + scene.brow_raise + A.BROW_ARCH * (1.0 - dx * dx)
        thick = scene.brow_thickness * (1.0 - A.BROW_TAPER * jnp.clip(dx, 0.0, 1.0))
        brow = (jnp.abs(dx) < 1.0) & (jnp.abs(p[1] - arc) < thick) & (p[2] > centre[2])
        brow_albedo = A.BROW_SHADE * scene.hair_albedo
        albedo = jnp.where(brow & (material != A.LIPS), brow_albedo, albedo)
    return albedo


def _lid_albedo(scene, hit):
    u = (hit["point"] - scene.eye_centres[hit["eye"]]) / scene.lid_radius
    a, b = eye_angles(u, EYE_SIDES[hit["eye"]])
    upper, _, width = lid_curves(scene, a)
    lash = (width > 0.0) & (b > upper) & (b < upper + A.LASH_WIDTH * width)
    return jnp.where(lash, jnp.asarray(A.LASH), scene.skin_albedo * A.LID_SHADE)


def shade(scene, hit, direction):
    """Linear RGB (3,) of one ray's hit; background gets its vertical gradient.

    Also returns ``iris`` (): whether the ray sees iris/pupil on an eyeball.
    """
    n, view = hit["normal"], -direction
    centre = scene.eye_centres[hit["eye"]]
    u = (hit["point"] - centre) / jnp.linalg.norm(hit["point"] - centre)
    theta, phi = iris_coordinates(scene, u)

    a, b = eye_angles(u, EYE_SIDES[hit["eye"]])
    upper, lower, _ = lid_curves(scene, a)
    floor, upper_reach, lower_reach = A.LID_SHADOW
    lit = _smoothstep(0.0, upper_reach, upper - b) * _smoothstep(0.0, lower_reach, b - lower)
    lid_shadow = floor + (1.0 - floor) * lit

    surface = hit["surface"]
    albedo = jnp.where(surface == SKIN, _skin_albedo(scene, hit), jnp.asarray(A.SOCKET))
    albedo = jnp.where(surface == LID, _lid_albedo(scene, hit), albedo)
    albedo = jnp.where(surface == EYEBALL, _eyeball_albedo(scene, theta, phi) * lid_shadow, albedo)

    l = scene.light_dir
    diffuse = jnp.maximum(0.0, (jnp.dot(n, l) + A.LIGHT_WRAP) / (1.0 + A.LIGHT_WRAP))
    light = scene.light_colour * (scene.ambient + (1.0 - scene.ambient) * diffuse)
    h = (l + view) / jnp.linalg.norm(l + view)
    on_cornea = theta < A.CORNEA_ANGLE
    cornea = A.CORNEA_SPECULAR * jnp.where(on_cornea, 1.0, A.SCLERA_SPECULAR_RATIO)
    highlight = cornea * jnp.maximum(0.0, jnp.dot(n, h)) ** A.CORNEA_SHININESS * lid_shadow
    rgb = albedo * light + jnp.where(surface == EYEBALL, highlight, 0.0) * scene.light_colour
    rgb = jnp.where(surface == SOCKET, jnp.asarray(A.SOCKET) * scene.ambient, rgb)

    # Gradient over the vertical ray direction, so every view of a frame agrees.
    v = jnp.clip(0.5 - A.BACKGROUND_GRADIENT * direction[1], 0.0, 1.0)
    background = (1.0 - v) * scene.background_top + v * scene.background_bottom
    rgb = jnp.where(surface == BACKGROUND, background, rgb)
    return jnp.clip(rgb, 0.0, 1.0), (surface == EYEBALL) & (theta < A.IRIS_ANGLE)
