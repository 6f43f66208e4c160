"""MPIIFaceGaze, normalized from its photos: layout reader for the converter.

Layout, as the authors distribute it::

    MPIIFaceGaze/p00/p00.txt
    MPIIFaceGaze/p00/day01/0005.jpg ...
    MPIIFaceGaze/p00/Calibration/Camera.mat     (cameraMatrix 3x3, distCoeffs 1x5, ...)
    ... p01 ... p14

``pXX.txt`` has one line per photo, 28 space-separated fields, no header
(0-based): 0 ``dayNN/NNNN.jpg``; 1-2 gaze point on the screen (px); 3-14 six
landmarks (x, y): four eye corners then two mouth corners; 15-17 head
rotation vector; 18-20 head translation; 21-23 face centre (camera frame,
mm); 24-26 gaze target (camera frame, mm); 27 ``left``/``right`` (the eye of
the evaluation subset). The gaze is ``target - face centre``, recomputed here
rather than taken from any released angles (whose sign conventions differ
between copies).

Normalization defaults are GazeHub's (focal 960 px, 600 mm, 224 px), which
L2CS trains on; GazeNeRF uses focal 1400 px, 680 mm, 512 px. Photos are not
undistorted (as the ETH-XGaze normalization).

Splits: one per person, ``p00`` ... ``p14``; the leave-one-person-out fold
``k`` trains on the other 14 (:func:`fold_splits`), e.g.
``data.split="p01+p02+...+p14"``, ``data.eval_split="p00"``.
"""

import math
import pathlib

import numpy as np
from scipy.spatial.transform import Rotation

from gazejax.data import conversion, normalized_face
from gazejax.errors import first_line

PERSONS = 15
COLUMNS = 28
EYES = ("left", "right")


def features(size):
    """A normalized MPIIFaceGaze face: SynthGaze's label keys plus its 6 landmarks and evaluated eye."""
    angle = conversion.Feature((2,), np.float32, bounds=(-math.pi, math.pi))
    unit = conversion.Feature((3, 3), np.float32, bounds=(-1.0, 1.0))
    return {
        "image": conversion.Feature((size, size, 3), np.uint8),
        "gaze": angle,
        "gaze_head": angle,
        "head_pose": angle,
        "head_rotation": unit,
        "normalization_rotation": unit,
        "camera": conversion.Feature((25,), np.float32),
        "landmarks": conversion.Feature((6, 2), np.float32),
        "evaluated_eye": conversion.Feature((), np.int32, bounds=(0, 1)),
        "identity": conversion.Feature((), np.int32),
        "frame": conversion.Feature((), np.int32),
        "view": conversion.Feature((), np.int32),
    }


def fold_splits(test_person, persons=PERSONS):
    """Leave-one-person-out fold ``test_person`` -> (train split, test split) TFDS split strings."""
    if not 0 <= test_person < persons:
        raise ValueError(f"MPIIFaceGaze fold {test_person}: choose 0..{persons - 1}")
    train = "+".join(f"p{p:02d}" for p in range(persons) if p != test_person)
    return train, f"p{test_person:02d}"


def read_camera_matrix(path):
    """``cameraMatrix`` (3, 3) of ``Calibration/Camera.mat``."""
    from scipy.io import loadmat  # noqa: PLC0415 -- only the .mat readers need it

    path = pathlib.Path(path)
    if not path.is_file():
        raise conversion.DataError(f"{path}: missing calibration file")
    try:
        matrix = np.asarray(loadmat(path)["cameraMatrix"], np.float64)
    except (ValueError, KeyError, OSError) as e:
        raise conversion.DataError(f"{path}: not an MPIIFaceGaze Camera.mat ({first_line(e)})") from None
    if matrix.shape != (3, 3):
        raise conversion.DataError(f"{path}: cameraMatrix has shape {matrix.shape}, expected (3, 3)")
    return matrix


def _annotations(path):
    if not path.is_file():
        raise conversion.DataError(f"{path}: missing annotation file")
    lines = [line.split() for line in path.read_text().splitlines() if line.strip()]
    for number, fields in enumerate(lines, 1):
        if len(fields) != COLUMNS or fields[27] not in EYES:
            raise conversion.DataError(f"{path}: line {number} is not 28 fields ending in left/right")
    return lines


def units(root, persons=range(PERSONS)):
    """One unit per person folder; calibration and annotation files checked first."""
    root = pathlib.Path(root)
    out = []
    for person in persons:
        folder = root / f"p{person:02d}"
        read_camera_matrix(folder / "Calibration" / "Camera.mat")
        _annotations(folder / f"p{person:02d}.txt")
        out.append(conversion.Unit(f"p{person:02d}", f"p{person:02d}", str(folder)))
    return out


def read_person(unit, focal, distance, size):
    """The records of one person folder, in annotation order."""
    folder = pathlib.Path(unit.path)
    camera_matrix = read_camera_matrix(folder / "Calibration" / "Camera.mat")
    identity = int(folder.name[1:])
    for index, fields in enumerate(_annotations(folder / f"{folder.name}.txt")):
        photo_path = folder / fields[0]
        if not photo_path.is_file():
            yield conversion.Skip(str(photo_path), "photo listed in the annotations is missing")
            continue
        try:
            values = np.array(fields[1:27], np.float64)
        except ValueError:
            raise conversion.DataError(f"{photo_path}: non-numeric annotation fields") from None
        photo = conversion.open_photo(photo_path)
        head_rotation = Rotation.from_rotvec(values[14:17]).as_matrix()
        record, warp = normalized_face.normalize_photo(
            photo, camera_matrix, head_rotation, values[20:23], values[23:26], focal, distance, size)
        record.update(landmarks=normalized_face.warp_points(warp, values[2:14].reshape(6, 2)),
                      evaluated_eye=EYES.index(fields[27]), identity=identity, frame=index, view=0)
        yield f"{identity:02d}_{index:05d}", record, str(photo_path)


class _PersonReader:
    """Picklable ``read_unit`` carrying the normalization settings to the workers."""

    def __init__(self, focal, distance, size):
        self.settings = (focal, distance, size)

    def __call__(self, unit):
        return read_person(unit, *self.settings)


def converter(root, size=224, focal=960.0, distance=600.0, persons=range(PERSONS)):
    """The :class:`~gazejax.data.conversion.Converter` of MPIIFaceGaze at ``root``."""
    if not 16 <= size <= 4096:
        raise conversion.DataError(f"size {size}: choose 16..4096 pixels")
    return conversion.Converter(
        name="mpiifacegaze", config=f"norm{size}_focal{focal:g}_dist{distance:g}".replace(".", "p"),
        features=features(size), units=units(root, persons), read_unit=_PersonReader(focal, distance, size),
        settings=dict(size=size, focal=focal, distance=distance, persons=list(persons)),
        description=f"MPIIFaceGaze photos normalized at {size}^2 (focal {focal:g} px, {distance:g} mm)",
    )
