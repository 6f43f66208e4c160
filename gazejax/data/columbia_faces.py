"""ColumbiaGaze whole faces (the redirection cross-dataset protocol): layout reader for the converter.

Layout, as the authors distribute it (``columbia_gaze_data_set.zip``)::

    Columbia Gaze Data Set/0001/0001_2m_-15P_10V_-5H.jpg ...   (105 photos per subject)
    ... 0056/

Photos are 5184 x 3456; as GazeNeRF, the centred square (columns 864-4320)
is resized to ``size`` (512 for GazeNeRF/LiveGaze). Labels come from the file
name by :func:`gazejax.geometry.columbia_filename_to_labels`: ``gaze_head`` =
(V, P - H) degrees as radians (GazeNeRF's Columbia labelling in our
convention) and ``head_pose`` = (0, P) as :mod:`gazejax.data.columbia`'s
patches. ``identity`` = subject, ``frame`` = gaze target (V, H) index,
``view`` = head pose (P) index, so pairing with ``same_camera=True`` keeps the
head pose. Columbia has no split: every subject is in ``test`` (GazeNeRF
evaluates all 56). Files that are not ColumbiaGaze photo names are skipped.
"""

import math
import pathlib

import numpy as np
from PIL import Image

from gazejax.data import columbia, conversion
from gazejax.geometry import columbia_filename_to_labels

SUBJECTS = range(1, 57)


def features(size):
    """A whole-face record: image, head-frame gaze, head pose and the pairing ids."""
    angle = conversion.Feature((2,), np.float32, bounds=(-math.pi / 2, math.pi / 2))
    return {
        "image": conversion.Feature((size, size, 3), np.uint8),
        "gaze_head": angle,
        "head_pose": angle,
        "identity": conversion.Feature((), np.int32),
        "frame": conversion.Feature((), np.int32),
        "view": conversion.Feature((), np.int32),
    }


def centre_square(image, size):
    """The centred square of a ``PIL.Image`` resized to ``size`` (bicubic) -> (size, size, 3) uint8."""
    w, h = image.size
    side = min(w, h)
    left, top = (w - side) // 2, (h - side) // 2
    square = image.crop((left, top, left + side, top + side))
    return np.asarray(square.resize((size, size), Image.Resampling.BICUBIC), np.uint8)


def units(root):
    """One unit per subject folder ``NNNN`` under ``root`` (the folder holding 0001 ... 0056)."""
    root = pathlib.Path(root)
    folders = sorted(p for p in root.iterdir() if p.is_dir() and p.name.isdigit()) if root.is_dir() else []
    if not folders:
        raise conversion.DataError(f"{root}: no subject folders 0001 ... 0056")
    return [conversion.Unit(p.name, "test", str(p)) for p in folders]


def read_subject(unit, size):
    """The records of one subject folder, in file-name order."""
    for path in sorted(pathlib.Path(unit.path).iterdir()):
        try:
            labels = columbia_filename_to_labels(path.name)
        except ValueError:
            yield conversion.Skip(str(path), "not a ColumbiaGaze photo name (NNNN_2m_<P>P_<V>V_<H>H.jpg)")
            continue
        if path.suffix.lower() != ".jpg" or labels["side"] is not None:
            yield conversion.Skip(str(path), "not a whole-face photo")
            continue
        image = centre_square(conversion.open_photo(path), size)
        v, h = labels["vertical_deg"], labels["horizontal_deg"]
        if v not in columbia.VERTICAL_DEG or h not in columbia.HORIZONTAL_DEG \
                or labels["head_pose_deg"] not in columbia.HEAD_POSES_DEG:
            raise conversion.DataError(f"{path}: labels out of range (P, V, H = "
                                       f"{labels['head_pose_deg']}, {v}, {h})")
        yield path.stem, dict(
            image=image,
            gaze_head=labels["gaze"],
            head_pose=(0.0, math.radians(labels["head_pose_deg"])),
            identity=labels["subject"],
            frame=columbia.VERTICAL_DEG.index(v) * len(columbia.HORIZONTAL_DEG) + columbia.HORIZONTAL_DEG.index(h),
            view=columbia.HEAD_POSES_DEG.index(labels["head_pose_deg"]),
        ), str(path)


class _SubjectReader:
    """Picklable ``read_unit`` carrying the output size to the workers."""

    def __init__(self, size):
        self.size = size

    def __call__(self, unit):
        return read_subject(unit, self.size)


def converter(root, size=512):
    """The :class:`~gazejax.data.conversion.Converter` of ColumbiaGaze's photos under ``root``."""
    if not 16 <= size <= 3456:
        raise conversion.DataError(f"size {size}: choose 16..3456 pixels")
    return conversion.Converter(
        name="columbia_faces", config=f"r{size}", features=features(size), units=units(root),
        read_unit=_SubjectReader(size), settings=dict(size=size),
        description=f"ColumbiaGaze whole faces, centred square resized to {size}^2",
    )
