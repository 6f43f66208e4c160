"""``workdir/eg3d_views.png``: the GFAS views of the first seeds, with the gaze drawn on each.

One row per seed, one column per view camera. On each image, from the middle
of the estimator's crop (the eyes on SynthGaze faces), a green arrow points
where the face points in that camera (the gaze GFAS wants) and a red arrow
where the estimator reads the eyes' gaze. Eyes that look into every camera
keep a short red arrow while the green one swings from view to view.
"""

import pathlib

import numpy as np
from PIL import Image, ImageDraw

FACE_COLOUR = (40, 200, 60)
READ_COLOUR = (235, 40, 30)
# arrow length for a gaze at right angles to the view axis, as a fraction of the image side
ARROW_LENGTH = 0.4
ARROW_HEAD = 0.06


def arrow_end(origin, pitchyaw, length):
    """End point ``(x, y)`` in pixels of a gaze arrow from ``origin`` ``(x, y)``.

    The arrow is the gaze direction ``(-cos p sin y, -sin p, ...)`` projected on
    the image plane (x right, y down), so a gaze straight into the camera is a point.
    """
    pitch, yaw = float(pitchyaw[0]), float(pitchyaw[1])
    direction = np.array([-np.cos(pitch) * np.sin(yaw), -np.sin(pitch)])
    return tuple(np.asarray(origin, np.float64) + length * direction)


def draw_arrow(draw, origin, end, colour, width, head):
    """A line from ``origin`` to ``end`` with a filled triangular head of side ``head`` pixels."""
    draw.line([origin, end], fill=colour, width=width)
    direction = np.subtract(end, origin)
    norm = np.linalg.norm(direction)
    if norm < 1e-6:
        return
    along, across = direction / norm, np.array([-direction[1], direction[0]]) / norm
    base = np.asarray(end) - head * along
    points = [tuple(end), tuple(base + 0.5 * head * across), tuple(base - 0.5 * head * across)]
    draw.polygon(points, fill=colour)


def view_sheet(images, face_angles, read_angles=None, origin=(0.5, 0.5)):
    """Tiles ``images`` (N, V, H, W, 3) in [0, 1] with arrows into one (N*H, V*W, 3) uint8 image.

    ``face_angles`` (V, 2): the face's (pitch, yaw) in each view's camera;
    ``read_angles`` (N, V, 2) or None: the estimator's gaze on each image;
    ``origin``: the arrows' start as fractions ``(y, x)`` of the image.
    """
    n, v, h, w, _ = images.shape
    side = min(h, w)
    start = (origin[1] * w, origin[0] * h)
    width = max(1, round(side / 64))
    rows = []
    for i in range(n):
        tiles = []
        for j in range(v):
            tile = Image.fromarray((np.clip(images[i, j], 0.0, 1.0) * 255 + 0.5).astype(np.uint8))
            draw = ImageDraw.Draw(tile)
            arrows = [(face_angles[j], FACE_COLOUR)]
            if read_angles is not None:
                arrows.append((read_angles[i, j], READ_COLOUR))
            for angles, colour in arrows:
                draw_arrow(draw, start, arrow_end(start, angles, ARROW_LENGTH * side), colour, width,
                           ARROW_HEAD * side)
            tiles.append(np.asarray(tile))
        rows.append(np.concatenate(tiles, axis=1))
    return np.concatenate(rows, axis=0)


def save_view_sheet(path, images, face_angles, read_angles=None, origin=(0.5, 0.5)):
    """Writes :func:`view_sheet` as a PNG at ``path``; returns the sheet."""
    sheet = view_sheet(np.asarray(images), np.asarray(face_angles),
                       None if read_angles is None else np.asarray(read_angles), origin)
    pathlib.Path(path).parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(sheet).save(path)
    return sheet
