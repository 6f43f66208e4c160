"""Analytic ray casting of the SynthGaze head (one ray; vmap for many).

The head is the union of convex solids -- skin ellipsoids and one "lid ball"
per eye (a sphere concentric with the eyeball, 1 mm larger). For a union of
convex solids the first surface along a ray is simply the smallest entry
distance, so no marching is needed and depth is exact. Where the ray enters
a lid ball inside the eye opening the lid is absent: the ray continues to the
eyeball (or, at grazing angles that miss it, to the back of the socket).
"""

import jax.numpy as jnp

from gazejax.data.synthgaze import anatomy as A

BACKGROUND, SKIN, LID, EYEBALL, SOCKET = 0, 1, 2, 3, 4
# Which way is temporal (toward the ear) for each eye, in world x.
EYE_SIDES = jnp.array([1.0, -1.0])


def ray_ellipsoids(origin, direction, centres, radii, rotations):
    """Entry/exit distances of one ray through P ellipsoids.

    Args:
      origin, direction: (3,) ray (any direction length; t is in its units).
      centres, radii: (P, 3); rotations: (P, 3, 3) world <- ellipsoid frame.

    Returns:
      t_in, t_out: (P,), ``inf`` where the ray misses or the solid is behind.
    """
    o = jnp.einsum("pji,pj->pi", rotations, origin - centres) / radii
    d = jnp.einsum("pji,j->pi", rotations, direction) / radii
    a = jnp.sum(d * d, -1)
    b = jnp.sum(o * d, -1)
    # disc = b^2 - a (|o|^2 - 1), written through the ray's closest point to
    # the centre to avoid the cancellation that costs float32 depth accuracy.
    closest = o - (b / a)[:, None] * d
    disc = a * (1.0 - jnp.sum(closest * closest, -1))
    root = jnp.sqrt(jnp.maximum(disc, 0.0))
    t_in, t_out = (-b - root) / a, (-b + root) / a
    hit = (disc > 0.0) & (t_in > 0.0)
    return jnp.where(hit, t_in, jnp.inf), jnp.where(hit, t_out, jnp.inf)


def ellipsoid_normal(point, centre, radius, rotation):
    """Outward unit normal (3,) of one ellipsoid at a surface ``point`` (3,)."""
    local = rotation.T @ (point - centre) / radius**2
    n = rotation @ local
    return n / jnp.linalg.norm(n)


def ray_sphere(origin, unit_direction, centre, radius):
    """Entry/exit distances (scalars, ``inf`` if missed) of a ray through a sphere."""
    oc = origin - centre
    b = jnp.dot(oc, unit_direction)
    closest = oc - b * unit_direction  # stable form, as in ray_ellipsoids
    disc = radius**2 - jnp.dot(closest, closest)
    root = jnp.sqrt(jnp.maximum(disc, 0.0))
    t_in, t_out = -b - root, -b + root
    hit = (disc > 0.0) & (t_in > 0.0)
    return jnp.where(hit, t_in, jnp.inf), jnp.where(hit, t_out, jnp.inf)


def eye_angles(u, side):
    """Direction ``u`` (3,) from an eye centre -> (temporal azimuth a, elevation b).

    ``a`` grows toward the ear (``side`` = +1 for the left eye, -1 for the
    right), ``b`` grows upward; the face-forward direction (+z) is (0, 0).
    """
    a = jnp.arctan2(side * u[0], u[2])
    b = jnp.arcsin(jnp.clip(u[1], -1.0, 1.0))
    return a, b


def lid_curves(scene, a):
    """Upper/lower lid elevations at azimuth ``a`` (almond: two half-ellipses).

    Returns (upper, lower, width) where ``width`` in [0, 1] is 0 outside the
    corners; both lids meet at elevation 0 at the corners.
    """
    x = (a - scene.opening_centre) / A.OPENING_HALF_WIDTH
    width = jnp.sqrt(jnp.maximum(1.0 - x * x, 0.0))
    return scene.upper_lid * width, scene.lower_lid * width, width


def in_opening(scene, u, side):
    """Whether direction ``u`` (3,) from the eye centre lies inside the eye opening."""
    a, b = eye_angles(u, side)
    upper, lower, width = lid_curves(scene, a)
    return (width > 0.0) & (b < upper) & (b > lower)


def intersect(scene, origin, direction):
    """First visible surface along one ray (``direction`` unit length).

    Returns a dict: ``t`` () distance (``inf`` on background), ``point`` (3,),
    ``normal`` (3,), ``surface`` () one of BACKGROUND/SKIN/LID/EYEBALL/SOCKET,
    ``eye`` () 0/1 for LID/EYEBALL/SOCKET, ``primitive`` () skin ellipsoid index.
    """
    t_skin_all, _ = ray_ellipsoids(
        origin, direction, scene.skin_centres, scene.skin_radii, scene.skin_rotations
    )
    primitive = jnp.argmin(t_skin_all)
    t_skin = t_skin_all[primitive]

    t_lid_in, t_lid_out, t_ball, opening = [], [], [], []
    for e in range(2):
        centre = scene.eye_centres[e]
        t_in, t_out = ray_sphere(origin, direction, centre, scene.lid_radius)
        u = origin + jnp.where(jnp.isfinite(t_in), t_in, 0.0) * direction - centre
        opening.append(in_opening(scene, u / scene.lid_radius, EYE_SIDES[e]))
        t_lid_in.append(t_in)
        t_lid_out.append(t_out)
        t_ball.append(ray_sphere(origin, direction, centre, scene.eyeball_radius)[0])
    t_lid_in, t_lid_out = jnp.stack(t_lid_in), jnp.stack(t_lid_out)
    t_ball, opening = jnp.stack(t_ball), jnp.stack(opening)

    eye = jnp.argmin(t_lid_in)
    t_lid = t_lid_in[eye]
    hits_lid = t_lid < t_skin
    through = hits_lid & opening[eye]
    ball = jnp.isfinite(t_ball[eye])

    t = jnp.where(hits_lid, t_lid, t_skin)
    t = jnp.where(through, jnp.where(ball, t_ball[eye], t_lid_out[eye]), t)
    surface = jnp.where(hits_lid, LID, SKIN)
    surface = jnp.where(through, jnp.where(ball, EYEBALL, SOCKET), surface)
    surface = jnp.where(jnp.isfinite(t), surface, BACKGROUND)

    point = origin + jnp.where(jnp.isfinite(t), t, 0.0) * direction
    sphere_normal = (point - scene.eye_centres[eye]) / jnp.linalg.norm(
        point - scene.eye_centres[eye]
    )
    skin_normal = ellipsoid_normal(
        point,
        scene.skin_centres[primitive],
        scene.skin_radii[primitive],
        scene.skin_rotations[primitive],
    )
    # The socket is seen from inside the lid ball: its normal faces inward.
    normal = jnp.where(surface == SKIN, skin_normal, sphere_normal)
    normal = jnp.where(surface == SOCKET, -sphere_normal, normal)
    return dict(t=t, point=point, normal=normal, surface=surface, eye=eye, primitive=primitive)
