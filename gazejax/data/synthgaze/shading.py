"""Albedo and lighting of a ray's hit (one ray; vmap for many).

Lighting is Lambertian with a soft "wrap" terminator plus ambient, tinted by
the sample's light colour; the cornea adds a Blinn-Phong highlight. The
eyeball darkens near the lids (a cheap stand-in for the lids' shadow).
"""

import jax.numpy as jnp

from gazejax.data.synthgaze import anatomy as A
from gazejax.data.synthgaze.scene import EYE_SIDES, EYEBALL, LID, SKIN, SOCKET, eye_angles, lid_curves


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
    streaks = 0.8 + 0.2 * jnp.sin(scene.iris_frequency * phi + scene.iris_phase) * jnp.cos(
        0.5 * scene.iris_frequency * phi
    )
    limbus = 1.0 - 0.55 * _smoothstep(0.75 * A.IRIS_ANGLE, A.IRIS_ANGLE, theta)
    collarette = 1.0 + 0.35 * _smoothstep(1.6 * A.PUPIL_ANGLE, A.PUPIL_ANGLE, theta)
    iris = scene.iris_albedo * streaks * limbus * collarette
    pupil = jnp.full(3, 0.03)
    sclera = jnp.asarray(A.SCLERA) * (1.0 - 0.15 * _smoothstep(1.2, 1.9, theta))
    albedo = jnp.where(theta < A.IRIS_ANGLE, iris, sclera)
    return jnp.where(theta < A.PUPIL_ANGLE, pupil, albedo)


def _skin_albedo(scene, hit):
    p, material = hit["point"], scene.skin_materials[hit["primitive"]]
    albedo = jnp.where(material == A.LIPS, scene.lip_albedo, scene.skin_albedo)
    albedo = jnp.where(
        (material == A.LIPS) & (jnp.abs(p[1] - scene.mouth_y) < A.MOUTH_LINE_HALF_WIDTH),
        0.35 * scene.lip_albedo,
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
        thick = scene.brow_thickness * (1.0 - 0.4 * jnp.clip(dx, 0.0, 1.0))
        brow = (jnp.abs(dx) < 1.0) & (jnp.abs(p[1] - arc) < thick) & (p[2] > centre[2])
        albedo = jnp.where(brow & (material != A.LIPS), 0.8 * scene.hair_albedo, albedo)
    return albedo


def _lid_albedo(scene, hit):
    u = (hit["point"] - scene.eye_centres[hit["eye"]]) / scene.lid_radius
    a, b = eye_angles(u, EYE_SIDES[hit["eye"]])
    upper, _, width = lid_curves(scene, a)
    lash = (width > 0.0) & (b > upper) & (b < upper + A.LASH_WIDTH * width)
    return jnp.where(lash, jnp.asarray(A.LASH), scene.skin_albedo * 0.95)


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
    lid_shadow = 0.45 + 0.55 * _smoothstep(0.0, 0.35, upper - b) * _smoothstep(0.0, 0.12, b - lower)

    surface = hit["surface"]
    albedo = jnp.where(surface == SKIN, _skin_albedo(scene, hit), jnp.asarray(A.SOCKET))
    albedo = jnp.where(surface == LID, _lid_albedo(scene, hit), albedo)
    albedo = jnp.where(surface == EYEBALL, _eyeball_albedo(scene, theta, phi) * lid_shadow, albedo)

    l = scene.light_dir
    diffuse = jnp.maximum(0.0, (jnp.dot(n, l) + A.LIGHT_WRAP) / (1.0 + A.LIGHT_WRAP))
    light = scene.light_colour * (scene.ambient + (1.0 - scene.ambient) * diffuse)
    h = (l + view) / jnp.linalg.norm(l + view)
    cornea = jnp.where(theta < 1.1 * A.IRIS_ANGLE, A.CORNEA_SPECULAR, 0.15 * A.CORNEA_SPECULAR)
    highlight = cornea * jnp.maximum(0.0, jnp.dot(n, h)) ** A.CORNEA_SHININESS * lid_shadow
    rgb = albedo * light + jnp.where(surface == EYEBALL, highlight, 0.0) * scene.light_colour
    rgb = jnp.where(surface == SOCKET, jnp.asarray(A.SOCKET) * scene.ambient, rgb)

    v = jnp.clip(0.5 - 2.0 * direction[1], 0.0, 1.0)
    background = (1.0 - v) * scene.background_top + v * scene.background_bottom
    rgb = jnp.where(surface == 0, background, rgb)
    return jnp.clip(rgb, 0.0, 1.0), (surface == EYEBALL) & (theta < A.IRIS_ANGLE)
