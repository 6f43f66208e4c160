"""The quick start's demonstration (``gazejax demo``): GazeNeRF redirecting held-out SynthGaze faces.

Each demo face is a held-out identity (one the run never trained on), drawn
by SynthGaze twice under the same camera and light: once looking where the
dataset draws a gaze (the input) and once at each requested head-frame gaze
of a sweep (the truth). GazeNeRF fits the input (its evaluation's test-time
fit) and renders it at each requested gaze. A judge, a gaze estimator
trained on other SynthGaze identities, reads the camera-frame gaze of the
outputs, of the unchanged input (the do-nothing baseline) and of the truth
(the judge's own floor), each against the requested gaze.

    faces = demo_faces(config, identities, sweep, seed=0)   # {'input': B records, 'truth': B*G records}
    outputs = redirect_faces(run, faces["input"], sweep)   # (B, G, R, R, 3)
    errors = gaze_errors(judge, faces, outputs)             # {'do_nothing', 'output', 'target'} degrees
    picture = sweep_picture(identities, faces, outputs, sweep)
"""

import jax.numpy as jnp
import numpy as np
from PIL import Image, ImageDraw

from gazejax.data.pipeline import to_float
from gazejax.data.synthgaze import controlled_records, record_labels
from gazejax.geometry import angular_error
from gazejax.methods.gazenerf.inference import redirect_records
from gazejax.methods.gazenerf.losses import region_masks, whiten_outside

# Head-frame (pitch, yaw) targets: a yaw sweep, then up and down (SynthGaze draws
# |pitch| <= 25 deg, |yaw| <= 35 deg).
SWEEP = ((0.0, -0.45), (0.0, -0.22), (0.0, 0.0), (0.0, 0.22), (0.0, 0.45), (0.3, 0.0), (-0.3, 0.0))
_SCALE = 2  # picture pixels per image pixel
_MARGIN = 80  # left column of row labels, in picture pixels
_HEADER = 24


def held_out_identities(config):
    """The test-split identities of the SynthGaze build the run trained on."""
    d = config.data
    return np.arange(d.identities - d.test_identities, d.identities)


def demo_faces(config, identities, sweep=SWEEP, seed=0):
    """Inputs and truths of the demo faces, frontal camera, each identity's frame-0 light.

    Each input looks at a gaze SynthGaze draws for a random frame (seeded by
    ``seed``), the distribution the run trained on.

    Returns:
      ``{'input': records (B, ...), 'truth': records (B * G, ...)}``, float32
      images; ``truth`` is identity-major, one per (identity, sweep gaze).
    """
    identities = np.asarray(identities)
    n, m = len(identities), len(sweep)
    frames = np.random.default_rng(seed).integers(0, 1000, n)
    start = record_labels(config.data.seed, identities, frames, np.zeros(n, int))["gaze_head"]
    render = lambda ids, gazes: to_float(controlled_records(  # noqa: E731
        config.data.seed, ids, gazes, np.zeros((len(ids), 2), np.float32), config.data.resolution))
    return {"input": render(identities, start),
            "truth": render(np.repeat(identities, m), np.tile(np.asarray(sweep, np.float32), (n, 1)))}


def redirect_faces(run, inputs, sweep=SWEEP, seed=0):
    """Fits each input (``run``: a loaded GazeNeRF run) and renders it at every sweep gaze.

    Returns the merged outputs ``(B, G, R, R, 3)`` in [0, 1].
    """
    gazes = np.broadcast_to(np.asarray(sweep, np.float32), (len(inputs["image"]), len(sweep), 2))
    images, _ = redirect_records(run, inputs, gazes, seed=seed)
    return np.clip(images, 0.0, 1.0)


def _shown(records):
    """Images white outside the head, as GazeNeRF renders them and its evaluation scores them."""
    return whiten_outside(records["image"], region_masks(records)[0])


def gaze_errors(judge, faces, outputs):
    """Mean angular error (degrees) of the judge's gaze against the requested (truth's) gaze.

    Rows: ``do_nothing`` (the input itself for every request), ``output``,
    ``target`` (the truth: the judge's floor).
    """
    truth = faces["truth"]
    m = len(truth["image"]) // len(faces["input"]["image"])
    images = {"do_nothing": jnp.repeat(_shown(faces["input"]), m, axis=0),
              "output": outputs.reshape(truth["image"].shape), "target": _shown(truth)}
    return {row: float(jnp.mean(angular_error(judge(x)["gaze"], truth["gaze"]))) for row, x in images.items()}


def sweep_picture(identities, faces, outputs, sweep=SWEEP):
    """A PIL image: for each identity a row of GazeNeRF's faces and a row of the true faces, the
    input first, then one column per requested head-frame (pitch, yaw) of ``sweep`` (radians)."""
    n, m = len(identities), len(sweep)
    inputs = np.asarray(_shown(faces["input"]))
    truth = np.asarray(_shown(faces["truth"])).reshape(n, m, *inputs.shape[1:])
    size = inputs.shape[1] * _SCALE
    picture = Image.new("RGB", (_MARGIN + (m + 1) * size, _HEADER + 2 * n * size), "white")
    draw = ImageDraw.Draw(picture)
    draw.text((_MARGIN + 4, 6), "input", fill="black")
    for j, (pitch, yaw) in enumerate(sweep):
        draw.text((_MARGIN + (j + 1) * size + 4, 6), f"p {np.degrees(pitch):+.0f}° y {np.degrees(yaw):+.0f}°",
                  fill="black")

    def paste(image, column, row):
        tile = Image.fromarray((np.clip(np.asarray(image), 0, 1) * 255).round().astype(np.uint8))
        picture.paste(tile.resize((size, size), Image.NEAREST), (_MARGIN + column * size, _HEADER + row * size))

    for i, identity in enumerate(identities):
        draw.text((4, _HEADER + 2 * i * size + size // 2 - 6), f"face {identity}\nGazeNeRF", fill="black")
        draw.text((4, _HEADER + (2 * i + 1) * size + size // 2 - 6), "truth", fill="black")
        paste(inputs[i], 0, 2 * i)
        for j in range(m):
            paste(outputs[i, j], j + 1, 2 * i)
            paste(truth[i, j], j + 1, 2 * i + 1)
    return picture
