"""ColumbiaGaze eye patches as PRGAN/MGGR use them (PRGAN's ``utils/processing.py``).

From a raw ColumbiaGaze image (``0001_2m_-15P_10V_-5H.jpg``) and its 68-point
dlib landmarks, each eye is cropped around the smallest circle enclosing its 6
landmarks, radius x1.7, as a square of side ``2r + 1``, resized to 64x64
(bilinear). The subject's right eye (dlib points 36-41, on the image left in
a frontal view) is mirrored horizontally, so both patches look like a left
eye, and its yaw (gaze and head pose) is negated. Subjects 1-50 train, 51-56
test (PRGAN's split).

Records carry the SynthGaze eye-patch keys (``left_eye_patch``,
``right_eye_patch``, ``*_patch_gaze``, ``head_pose``) plus ``identity`` =
subject, ``frame`` = gaze target (V, H) index and ``view`` = head pose (P)
index, so :mod:`gazejax.data.pairing` with ``same_camera=True`` pairs the
gazes of one subject under one head pose, like PRGAN (without PRGAN's
self-pairs, as a redirection pair needs a different gaze).

``python data_prep/columbia.py`` writes ``<data dir>/columbia/{train,test}.npz``;
:func:`make_source` reads them (``data.builder =
"gazejax.data.columbia:make_source"``).
"""

import itertools
import json
import math
import pathlib

import numpy as np
from PIL import Image

from gazejax.geometry import columbia_filename_to_labels

PATCH_SIZE = 64
CROP_SCALE = 1.7  # PRGAN's radius factor
RIGHT_EYE = slice(36, 42)  # dlib-68 indices: the subject's right eye
LEFT_EYE = slice(42, 48)
TRAIN_SUBJECTS = range(1, 51)
TEST_SUBJECTS = range(51, 57)
HEAD_POSES_DEG = (-30, -15, 0, 15, 30)
VERTICAL_DEG = (-10, 0, 10)
HORIZONTAL_DEG = (-15, -10, -5, 0, 5, 10, 15)
KEYS = ("left_eye_patch", "right_eye_patch", "left_eye_patch_gaze", "right_eye_patch_gaze",
        "head_pose", "identity", "frame", "view")


def _circle_through(points):
    """Smallest circle through 2 points (diameter) or 3 points (circumcircle), or None."""
    if len(points) == 2:
        (a, b) = points
        return (a + b) / 2, np.linalg.norm(a - b) / 2
    a, b, c = points
    d = 2 * (a[0] * (b[1] - c[1]) + b[0] * (c[1] - a[1]) + c[0] * (a[1] - b[1]))
    if abs(d) < 1e-12:
        return None  # collinear: some pair's circle is the answer
    sa, sb, sc = a @ a, b @ b, c @ c
    centre = np.array([
        sa * (b[1] - c[1]) + sb * (c[1] - a[1]) + sc * (a[1] - b[1]),
        sa * (c[0] - b[0]) + sb * (a[0] - c[0]) + sc * (b[0] - a[0]),
    ]) / d
    return centre, np.linalg.norm(a - centre)


def enclosing_circle(points):
    """Smallest circle enclosing 2-D ``points`` (K, 2) -> (centre (2,), radius).

    The smallest enclosing circle passes through 2 or 3 of the points, so for
    an eye's 6 landmarks trying all 35 candidates is exact and cheap.
    """
    points = np.asarray(points, np.float64)
    best = None
    for k in (2, 3):
        for subset in itertools.combinations(points, k):
            circle = _circle_through(subset)
            if circle is None:
                continue
            centre, radius = circle
            if np.all(np.linalg.norm(points - centre, axis=1) <= radius * (1 + 1e-9) + 1e-9):
                if best is None or radius < best[1]:
                    best = (centre, radius)
    return best


def crop_eye(image, eye_landmarks, mirror=False):
    """One ``PATCH_SIZE`` patch around an eye (PRGAN's crop rule, see module doc).

    Args:
      image: (H, W, 3) uint8 RGB.
      eye_landmarks: (6, 2) pixel (x, y) of the eye's landmarks.
      mirror: flip the patch horizontally (right eyes).

    Returns:
      (64, 64, 3) uint8. Parts of the square outside the image replicate the
      border pixels (PRGAN's slicing would fail there).
    """
    centre, radius = enclosing_circle(eye_landmarks)
    r = int(round(radius * CROP_SCALE))
    cx, cy = (int(round(v)) for v in centre)
    h, w = image.shape[:2]
    rows = np.clip(np.arange(cy - r, cy + r + 1), 0, h - 1)
    cols = np.clip(np.arange(cx - r, cx + r + 1), 0, w - 1)
    square = image[rows[:, None], cols[None, :]]
    patch = np.asarray(Image.fromarray(square).resize((PATCH_SIZE, PATCH_SIZE), Image.BILINEAR))
    return patch[:, ::-1] if mirror else patch


def split_of(subject):
    """'train' for subjects 1-50, 'test' for 51-56."""
    if subject in TRAIN_SUBJECTS:
        return "train"
    if subject in TEST_SUBJECTS:
        return "test"
    raise ValueError(f"ColumbiaGaze subject {subject} is outside 1-56")


def patch_record(name, image, landmarks):
    """The record of one raw image: both patches, their labels and ids.

    Args:
      name: the ColumbiaGaze file name (labels are parsed from it).
      image: (H, W, 3) uint8 RGB.
      landmarks: (68, 2) dlib landmarks (x, y) in pixels.
    """
    landmarks = np.asarray(landmarks, np.float64)
    if landmarks.shape != (68, 2):
        raise ValueError(f"{name}: expected 68 (x, y) landmarks, got shape {landmarks.shape}")
    labels = columbia_filename_to_labels(name)
    gaze = np.float32(labels["gaze"])
    mirror = np.float32([1.0, -1.0])
    head = np.float32([0.0, math.radians(labels["head_pose_deg"])])
    frame = (VERTICAL_DEG.index(labels["vertical_deg"]) * len(HORIZONTAL_DEG)
             + HORIZONTAL_DEG.index(labels["horizontal_deg"]))
    return dict(
        left_eye_patch=crop_eye(image, landmarks[LEFT_EYE]),
        right_eye_patch=crop_eye(image, landmarks[RIGHT_EYE], mirror=True),
        left_eye_patch_gaze=gaze,
        right_eye_patch_gaze=gaze * mirror,
        # one (unmirrored) camera-frame head pose per image; consumers of the
        # mirrored right patch negate its yaw, as they do for SynthGaze
        head_pose=head,
        identity=np.int32(labels["subject"]),
        frame=np.int32(frame),
        view=np.int32(HEAD_POSES_DEG.index(labels["head_pose_deg"])),
    )


def read_landmarks(path):
    """``{file name: (68, 2)}`` from a JSON object (PRGAN's ``lm.json`` style) or an ``.npz``.

    Keys may be paths; only their file names are kept.
    """
    path = pathlib.Path(path)
    if path.suffix == ".npz":
        with np.load(path) as data:
            items = {k: data[k] for k in data.files}
    else:
        items = json.loads(path.read_text())
    return {pathlib.Path(k).name: np.asarray(v, np.float64) for k, v in items.items()}


def write_split(records, path):
    """Stacks records into one ``.npz`` (one array per key)."""
    path = pathlib.Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez(path, **{k: np.stack([r[k] for r in records]) for k in KEYS})


class PatchSource:
    """Random-access records of one split, read from :func:`write_split`'s file."""

    def __init__(self, path):
        with np.load(path) as data:
            self._arrays = {k: data[k] for k in KEYS}

    def __len__(self):
        return len(self._arrays["identity"])

    def __getitem__(self, index):
        return {k: v[index] for k, v in self._arrays.items()}


def make_source(data_config, split, data_dir):
    """``data.builder`` hook: the prepared patches of ``split`` under ``data_dir/columbia``."""
    del data_config
    path = pathlib.Path(data_dir) / "columbia" / f"{split}.npz"
    if not path.is_file():
        raise ValueError(f"no ColumbiaGaze patches at {path}: run python data_prep/columbia.py "
                         f"--images RAW_DIR --landmarks LANDMARKS --out {path.parent}")
    return PatchSource(path)
