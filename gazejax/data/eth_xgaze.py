"""ETH-XGaze's released normalized face patches (``xgaze_224``): layout reader for the converter.

Layout, as the authors distribute it::

    xgaze_224/train_test_split.json     {"train": [...80 names], "test": [...15], <person-specific>: [...15]}
    xgaze_224/train/subject0000.h5 ...
    xgaze_224/test/subject0001.h5 ...

Each h5 holds ``face_patch`` (N, 224, 224, 3) uint8 **BGR**, ``face_gaze``
(N, 2) (pitch, yaw) radians in the normalized camera (absent in the test
files: the benchmark withholds the labels), ``face_head_pose`` (N, 2),
``face_mat_norm`` (N, 3, 3) (the normalizing rotation), ``frame_index`` and
``cam_index`` (N, 1). ETH-XGaze's gaze and head-pose conventions are ours, so
labels are copied; images become RGB. The 224 release was normalized with
focal 960 px at 600 mm.

Splits: ``train`` (80 subjects), ``test`` (15, gaze NaN) and
``person_specific`` (15; the person-specific key is ``test_specific`` in the
copies of the split file we know, ``test_person_specific`` is also accepted).
``frames`` keeps the first N distinct frames of each training subject (all
18 cameras of each): ``frames=10`` is GazeNeRF's and LiveGaze's 14.4K-image
training subset (80 subjects x 10 frames x 18 views).
"""

import json
import math
import pathlib

import numpy as np

from gazejax.data import conversion, normalized_face

RELEASE_SIZE = 224
RELEASE_FOCAL = 960.0
REQUIRED_KEYS = ("face_patch", "face_head_pose", "face_mat_norm", "frame_index", "cam_index")
SPLIT_KEYS = {"train": ("train",), "test": ("test",),
              "person_specific": ("test_specific", "test_person_specific")}
SPLIT_FILE = "train_test_split.json"


def features(size=RELEASE_SIZE):
    """The record of one normalized face: the SynthGaze keys that ETH-XGaze can fill."""
    angle = dict(bounds=(-math.pi, math.pi))
    return {
        "image": conversion.Feature((size, size, 3), np.uint8),
        "gaze": conversion.Feature((2,), np.float32, nan_ok=True, **angle),
        "head_pose": conversion.Feature((2,), np.float32, **angle),
        "head_rotation": conversion.Feature((3, 3), np.float32, bounds=(-1.0, 1.0)),
        "normalization_rotation": conversion.Feature((3, 3), np.float32, bounds=(-1.0, 1.0)),
        "camera": conversion.Feature((25,), np.float32),
        "identity": conversion.Feature((), np.int32),
        "frame": conversion.Feature((), np.int32),
        "view": conversion.Feature((), np.int32),
    }


def subject_number(name):
    """``"subject0003.h5"`` -> 3."""
    stem = pathlib.Path(name).stem
    if not stem.startswith("subject") or not stem[7:].isdigit():
        raise conversion.DataError(f"{name}: not an ETH-XGaze subject file name (subjectNNNN.h5)")
    return int(stem[7:])


def read_split_file(root):
    """``{our split: [h5 paths]}`` from ``root/train_test_split.json``; files looked up in train/ and test/."""
    root = pathlib.Path(root)
    path = root / SPLIT_FILE
    if not path.is_file():
        raise conversion.DataError(f"{path}: missing (the split file of the xgaze_224 release)")
    try:
        listed = json.loads(path.read_text())
    except json.JSONDecodeError as e:
        raise conversion.DataError(f"{path}: not JSON ({e})") from None
    splits = {}
    for split, keys in SPLIT_KEYS.items():
        names = next((listed[k] for k in keys if k in listed), None)
        if names is None:
            continue
        paths = []
        for name in names:
            candidates = [root / folder / name for folder in ("train", "test")]
            found = next((p for p in candidates if p.is_file()), None)
            if found is None:
                raise conversion.DataError(f"{candidates[0]}: missing (listed in {path} under {split})")
            paths.append(found)
        splits[split] = paths
    if "train" not in splits:
        raise conversion.DataError(f"{path}: no 'train' list")
    return splits


def units(root, splits=("train", "person_specific", "test"), frames=0):
    """One unit per subject file of the chosen splits; ``frames`` > 0 limits training subjects."""
    found = read_split_file(root)
    return [conversion.Unit(f"{split}/{p.stem}", split, str(p), (frames if split == "train" else 0,))
            for split in splits if split in found for p in found[split]]


def read_subject(unit):
    """Converter reader: the records of one subject h5 (``unit.args = (frames,)``)."""
    import h5py  # noqa: PLC0415 -- only the readers of h5 releases need it

    (frames,) = unit.args
    identity = subject_number(unit.path)
    with h5py.File(unit.path, "r") as f:
        missing = [k for k in REQUIRED_KEYS if k not in f]
        if missing:
            raise conversion.DataError(f"{unit.path}: not an ETH-XGaze h5 file: missing {', '.join(missing)}")
        n = f["face_patch"].shape[0]
        if "face_gaze" in f:
            gaze = np.asarray(f["face_gaze"], np.float64)
        elif unit.split == "test":  # the benchmark withholds the test labels
            gaze = np.full((n, 2), np.nan)
        else:
            raise conversion.DataError(f"{unit.path}: not an ETH-XGaze h5 file: missing face_gaze")
        frame = np.asarray(f["frame_index"]).reshape(-1).astype(np.int64)
        cam = np.asarray(f["cam_index"]).reshape(-1).astype(np.int64)
        head = np.asarray(f["face_head_pose"], np.float64)
        norm = np.asarray(f["face_mat_norm"], np.float64)
        if not (len(gaze) == len(frame) == len(cam) == len(head) == len(norm) == n):
            raise conversion.DataError(f"{unit.path}: keys hold different numbers of images")
        kept = sorted(set(frame), key=list(frame).index)[:frames] if frames else None
        for i in range(n):
            if kept is not None and frame[i] not in kept:
                continue
            rotation = normalized_face.head_rotation_from_pose(head[i])
            yield f"{identity:04d}_{frame[i]:05d}_{cam[i]:02d}", dict(
                image=np.ascontiguousarray(f["face_patch"][i][..., ::-1]),  # BGR -> RGB
                gaze=gaze[i],
                head_pose=head[i],
                head_rotation=rotation,
                normalization_rotation=norm[i],
                camera=normalized_face.camera_label(rotation, RELEASE_FOCAL, RELEASE_SIZE),
                identity=identity,
                frame=frame[i],
                view=cam[i],
            )


def converter(root, splits=("train", "person_specific", "test"), frames=0):
    """The :class:`~gazejax.data.conversion.Converter` of the xgaze_224 release at ``root``."""
    name = f"normalized224_f{frames}" if frames else "normalized224"
    return conversion.Converter(
        name="eth_xgaze", config=name, features=features(), units=units(root, splits, frames),
        read_unit=read_subject, settings=dict(splits=list(splits), frames=frames),
        description="ETH-XGaze normalized 224^2 faces (release h5), RGB, gaze/head pose in radians",
    )
