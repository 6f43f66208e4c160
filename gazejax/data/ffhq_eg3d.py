"""FFHQ (or any image set) in EG3D's processed layout: images + ``dataset.json`` camera labels.

EG3D's ``dataset_tool.py`` writes an uncompressed zip (or, before zipping, a
folder) holding the images (``00000/img00000000.png`` ...) and a root
``dataset.json``::

    {"labels": [["00000/img00000000.png", [25 floats]], ...]}

Each label is the flattened 4x4 OpenCV cam2world matrix (row-major, world
y up) followed by the flattened 3x3 intrinsics normalized by the image size
(FFHQ: ``fx = fy = 4.2647``, ``cx = cy = 0.5``): our camera convention
(:mod:`gazejax.geometry.camera`), so labels pass through unchanged. Images are
read in sorted name order, as EG3D's loader does; EG3D's FFHQ already holds
each image's mirror (``mirror_dataset.py``), so nothing is mirrored on reading.

:func:`read` is usable on its own (``read(path)`` -> ``(image, label)``
pairs); :func:`mirror_label` / :func:`mirror` give the mirrored sample of a
set whose mirrors are not baked in. :func:`converter` turns such a set into a
TFDS dataset with SynthGaze's ``image`` and ``camera`` keys (split ``train``).
:func:`write_folder` writes any image set in the layout (SynthGaze for "+DP":
``data_prep/synthgaze_eg3d.py``).
"""

import io
import json
import pathlib
import zipfile

import numpy as np
from PIL import Image

from gazejax.data.conversion import Converter, DataError, Feature, Unit, open_photo

NAME = "ffhq_eg3d"
LABEL_SIZE = 25
UNIT_SIZE = 1000  # images per converter unit
# What EG3D's loader accepts as an image (PIL's registered extensions, in practice these).
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".webp")
# cam2world entries that change sign when the world and the camera are mirrored in x
# (EG3D's mirror_dataset.py negates [0,1], [0,2], [1,0], [2,0], [0,3]; [0,0] and [3,0] keep theirs).
_POSE_FLIP = np.array([[1, -1, -1, -1], [-1, 1, 1, 1], [-1, 1, 1, 1], [1, 1, 1, 1]], np.float32)



def mirror_label(label):
    """The 25-number label of the horizontally mirrored image ``(..., 25)`` -> ``(..., 25)``.

    Mirroring the image is mirroring the world in x (``F = diag(-1, 1, 1, 1)``)
    and the camera's x axis with it: ``cam2world' = F cam2world F``, which
    negates the entries with exactly one index 0 (EG3D's ``flip_yaw``). A
    pixel ``u`` moves to ``1 - u``, so the principal point becomes
    ``1 - cx`` and the skew changes sign; EG3D leaves K unchanged, which is
    the same for its centred ``cx = 0.5`` and zero skew.
    """
    label = np.asarray(label, np.float32)
    pose = label[..., :16].reshape(label.shape[:-1] + (4, 4)) * _POSE_FLIP
    k = label[..., 16:].reshape(label.shape[:-1] + (3, 3)).copy()
    k[..., 0, 1] = -k[..., 0, 1]
    k[..., 0, 2] = 1.0 - k[..., 0, 2]
    return np.concatenate([pose.reshape(label.shape[:-1] + (16,)), k.reshape(label.shape[:-1] + (9,))], -1)


def mirror(image, label):
    """The mirrored sample: image ``(H, W, 3)`` flipped left-right, label by :func:`mirror_label`."""
    return np.ascontiguousarray(np.asarray(image)[:, ::-1]), mirror_label(label)


class _Folder:
    def __init__(self, root):
        self.root = pathlib.Path(root)
        self.name = str(self.root)

    def names(self):
        return [p.relative_to(self.root).as_posix() for p in self.root.rglob("*") if p.is_file()]

    def read(self, name):
        return (self.root / name).read_bytes()

    def close(self):
        pass


class _Zip:
    def __init__(self, path):
        self.name = str(path)
        try:
            self.zip = zipfile.ZipFile(path)
        except zipfile.BadZipFile as e:
            raise DataError(f"{path}: not a readable zip ({e})") from None

    def names(self):
        return [n for n in self.zip.namelist() if not n.endswith("/")]

    def read(self, name):
        return self.zip.read(name)

    def close(self):
        self.zip.close()


def _open(path):
    path = pathlib.Path(path)
    if path.is_dir():
        return _Folder(path)
    if path.is_file():
        return _Zip(path)
    raise DataError(f"{path}: no such zip or folder")


def _labels(store, names):
    """``{image name: float32[25]}`` from ``dataset.json``, checked against ``names``."""
    where = f"{store.name}/dataset.json"
    if "dataset.json" not in names:
        raise DataError(f"{where}: missing (EG3D's camera labels; run EG3D's dataset_tool.py)")
    try:
        labels = json.loads(store.read("dataset.json"))["labels"]
        labels = dict(labels)
    except (ValueError, KeyError, TypeError) as e:
        raise DataError(f"{where}: not {{\"labels\": [[name, [25 numbers]], ...]}} ({e})") from None
    out = {}
    for name, label in labels.items():
        try:
            value = np.asarray(label, np.float32)
        except (ValueError, TypeError):
            value = None
        if value is None or value.shape != (LABEL_SIZE,):
            raise DataError(
                f"{where}: the label of {name} is not {LABEL_SIZE} numbers "
                "(flattened 4x4 cam2world + 3x3 normalized intrinsics)")
        if not np.all(np.isfinite(value)):
            raise DataError(f"{where}: the label of {name} is not finite")
        out[str(name).replace("\\", "/")] = value
    return out


def read_labels(path):
    """``{image name: float32 (25,)}`` of an EG3D zip or folder's ``dataset.json`` (checked)."""
    store = _open(path)
    try:
        return _labels(store, store.names())
    finally:
        store.close()


def image_names(path):
    """The image names of an EG3D zip or folder, in EG3D's (sorted) order."""
    store = _open(path)
    try:
        return sorted(n for n in store.names() if pathlib.PurePosixPath(n).suffix.lower() in IMAGE_SUFFIXES)
    finally:
        store.close()


def write_folder(out, pairs):
    """Writes ``(image uint8 (H, W, 3), label (25,))`` pairs as an EG3D dataset folder; returns how many.

    The layout :func:`read` reads (EG3D's ``dataset_tool.py``'s before
    zipping): ``00000/img00000000.png``, 1000 images a folder, and the labels
    in ``dataset.json``. A folder that exists and is not empty is refused
    (DataError), so nothing there is overwritten.
    """
    out = pathlib.Path(out)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise DataError(f"{out}: exists and is not an empty folder; choose a new --out")
    labels = []
    for index, (image, label) in enumerate(pairs):
        label = np.asarray(label, np.float64).reshape(-1)
        if label.shape != (LABEL_SIZE,) or not np.all(np.isfinite(label)):
            raise DataError(f"image {index}: a label must be {LABEL_SIZE} finite numbers, got shape {label.shape}")
        name = f"{index // UNIT_SIZE:05d}/img{index:08d}.png"
        (out / name).parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(np.asarray(image, np.uint8)).save(out / name)
        labels.append([name, label.tolist()])
    out.mkdir(parents=True, exist_ok=True)
    (out / "dataset.json").write_text(json.dumps({"labels": labels}))
    return len(labels)


def decode_image(data, where):
    """Image bytes -> uint8 ``(H, W, 3)`` RGB (grey and RGBA become RGB); one-line error naming ``where``."""
    return np.asarray(open_photo(io.BytesIO(data), where))


def read(path, names=None):
    """Yields ``(image uint8 (H, W, 3) RGB, label float32 (25,))`` of an EG3D zip or folder.

    Args:
      path: ``FFHQ_512.zip`` (or any ``dataset_tool.py`` zip) or a folder with
        the same content.
      names: optional subset of :func:`image_names` to read (in that order).

    Raises :class:`DataError` (one line naming the file) for a missing or
    malformed ``dataset.json``, a label that is not 25 finite numbers, an
    image without a label, or an unreadable image. Labels are all checked
    before the first image is yielded.
    """
    store = _open(path)
    try:
        all_names = store.names()
        labels = _labels(store, all_names)
        images = sorted(n for n in all_names if pathlib.PurePosixPath(n).suffix.lower() in IMAGE_SUFFIXES)
        if not images:
            raise DataError(f"{store.name}: no images")
        missing = [n for n in images if n not in labels]
        if missing:
            raise DataError(f"{store.name}/dataset.json: no label for {missing[0]} "
                              f"({len(missing)} images without labels)")
        for name in images if names is None else names:
            yield decode_image(store.read(name), f"{store.name}/{name}"), labels[name]
    finally:
        store.close()


def features(resolution):
    """The converted dataset's features: ``image`` (R, R, 3) uint8, ``camera`` (25,) float32 (the
    label) and ``identity`` int32 (the image's index in sorted order, shared by its added mirror)."""
    return {
        "image": Feature((resolution, resolution, 3), np.uint8),
        "camera": Feature((LABEL_SIZE,), np.float32),
        "identity": Feature((), np.int32),
    }


def _resized(image, resolution, where):
    if image.shape[0] != image.shape[1]:
        raise DataError(f"{where}: {image.shape[1]}x{image.shape[0]} image is not square (EG3D's layout)")
    if image.shape[0] == resolution:
        return image
    # LANCZOS as EG3D's dataset_tool.py resizes
    return np.asarray(Image.fromarray(image).resize((resolution, resolution), Image.LANCZOS))


def read_unit(unit):
    """Converter reader: ``unit.args = (path, first index, names, resolution, add_mirror)``."""
    path, first, names, resolution, add_mirror = unit.args
    for k, (name, (image, label)) in enumerate(zip(names, read(path, names)), start=first):
        image = _resized(image, resolution, f"{path}/{name}")
        yield f"{k:08d}", {"image": image, "camera": label, "identity": np.int32(k)}
        if add_mirror:
            flipped, flipped_label = mirror(image, label)
            yield f"{k:08d}_mirror", {"image": flipped, "camera": flipped_label, "identity": np.int32(k)}


def converter(path, resolution, add_mirror=False):
    """The :class:`~gazejax.data.conversion.Converter` of an EG3D zip or folder: split ``train``,
    units of :data:`UNIT_SIZE` images; TFDS config ``r<R>`` (``r<R>_mirror`` with ``add_mirror``:
    each image followed by its mirror, for sets whose mirrors are not baked in)."""
    names = image_names(path)
    if not names:
        raise DataError(f"{path}: no images")
    missing = sorted(set(names) - set(read_labels(path)))  # checked before any worker starts
    if missing:
        raise DataError(f"{path}/dataset.json: no label for {missing[0]} ({len(missing)} images without labels)")
    units = [Unit(f"train/{start:08d}", "train", str(path),
                  (str(path), start, tuple(names[start:start + UNIT_SIZE]), resolution, add_mirror))
             for start in range(0, len(names), UNIT_SIZE)]
    config = f"r{resolution}" + ("_mirror" if add_mirror else "")
    return Converter(NAME, config, features(resolution), units, read_unit,
                     settings={"resolution": resolution, "add_mirror": add_mirror},
                     description=f"EG3D-layout images at {resolution}^2 with 25-number camera labels")
