"""Reader for GazeNeRF's per-subject h5 files (e.g. ``xgaze_subject0000.h5``).

Layout (as GazeNeRF's preprocessing writes it): ``face_patch`` (N, 512, 512, 3)
uint8 BGR; ``head_mask``, ``left_eye_mask``, ``right_eye_mask`` (N, 512, 512)
uint8 0/255; ``latent_codes`` (N, 306) = [iden 100 | expr 79 | text 100 |
illu 27]; ``c2w_Rmat`` (N, 3, 3), ``c2w_Tvec`` (N, 3), ``inmat`` (N, 3, 3);
``pitchyaw_head`` (N, 2) (the training label, GazeNeRF's pitch-flipped
convention); ``cam_index`` (N, 1); ``frame_index`` (N, 1) when present;
``facial_landmarks`` (N, 68, 2).

Records follow the SynthGaze schema where the meaning is the same (RGB
``image``, {0, 1} masks, ``gaze_head`` in OUR convention, the four codes,
``identity``/``frame``/``view``) and add the reference camera as
``c2w_rotation``, ``c2w_translation``, ``intrinsics`` (pixels of the 512^2
image) and ``landmarks``. As the reference loader: the head mask is eroded
(3x3, 2 iterations), identity/expression/texture codes come from the
subject's FIRST image and only the illumination from the image itself, and
the expression may be replaced by a fixed vector (the reference's
``tensor.pt``).
"""

import glob
import pathlib

import numpy as np

from gazejax.geometry import from_gazenerf

CODE_SPLITS = {"shape_code": (0, 100), "expression_code": (100, 179),
               "texture_code": (179, 279), "illumination_code": (279, 306)}
REQUIRED_KEYS = ("face_patch", "head_mask", "left_eye_mask", "right_eye_mask", "latent_codes",
                 "c2w_Rmat", "c2w_Tvec", "inmat", "pitchyaw_head", "cam_index")
HEAD_MASK_EROSION = 2  # 3x3 iterations, reference loader


def erode(mask, iterations):
    """Binary erosion of ``(H, W)`` by a 3x3 square, ``iterations`` times.

    Outside the image counts as set, so the border does not erode (OpenCV's
    ``cv2.erode`` default, which the reference loader calls).
    """
    m = mask.astype(bool)
    for _ in range(iterations):
        p = np.pad(m, 1, constant_values=True)
        h, w = m.shape
        m = np.logical_and.reduce([p[i:i + h, j:j + w] for i in range(3) for j in range(3)])
    return m.astype(np.float32)


class GazeNeRFH5Source:
    """Random-access records of one or more subject files, in file order.

    Args:
      paths: h5 file paths; subject ``i`` (``identity``) is ``paths[i]``.
      expression: optional fixed expression code (79,) replacing every
        record's, as the reference's training and fitting do.
      head_mask_erosion: 3x3 erosion iterations of the head mask.

    Raises:
      ValueError (one line) for a missing file, key, or inconsistent shapes.
    """

    def __init__(self, paths, expression=None, head_mask_erosion=HEAD_MASK_EROSION):
        import h5py  # noqa: PLC0415 -- only this reader needs it

        self._h5py = h5py
        self.paths = [pathlib.Path(p) for p in paths]
        if not self.paths:
            raise ValueError("no GazeNeRF h5 files given")
        self.expression = None if expression is None else np.asarray(expression, np.float32)
        self.erosion = head_mask_erosion
        self._offsets, self._files = [0], {}
        for path in self.paths:
            if not path.is_file():
                raise ValueError(f"no such GazeNeRF h5 file: {path}")
            with h5py.File(path, "r") as f:
                missing = [k for k in REQUIRED_KEYS if k not in f]
                if missing:
                    raise ValueError(f"{path} is not a GazeNeRF h5 file: missing {', '.join(missing)}")
                n = f["face_patch"].shape[0]
                bad = [k for k in REQUIRED_KEYS if f[k].shape[0] != n]
                if bad or f["latent_codes"].shape[1:] != (306,):
                    raise ValueError(
                        f"{path}: inconsistent record counts or latent_codes shape ({', '.join(bad)})")
            self._offsets.append(self._offsets[-1] + n)

    def __len__(self):
        return self._offsets[-1]

    def _file(self, subject):
        # Opened lazily per process: h5py handles do not survive pickling to workers.
        if subject not in self._files:
            self._files[subject] = self._h5py.File(self.paths[subject], "r")
        return self._files[subject]

    def __getitem__(self, index):
        if not 0 <= index < len(self):
            raise IndexError(f"record {index} out of range (0..{len(self) - 1})")
        subject = int(np.searchsorted(self._offsets, index, side="right") - 1)
        i = index - self._offsets[subject]
        f = self._file(subject)
        first, own = f["latent_codes"][0], f["latent_codes"][i]
        codes = {k: np.asarray((own if k == "illumination_code" else first)[a:b], np.float32)
                 for k, (a, b) in CODE_SPLITS.items()}
        if self.expression is not None:
            codes["expression_code"] = self.expression
        frame = int(f["frame_index"][i].reshape(-1)[0]) if "frame_index" in f else i
        return {
            "image": np.ascontiguousarray(f["face_patch"][i][..., ::-1]),
            "face_mask": erode(f["head_mask"][i] >= 128, self.erosion).astype(np.uint8),
            "left_eye_mask": (f["left_eye_mask"][i] >= 128).astype(np.uint8),
            "right_eye_mask": (f["right_eye_mask"][i] >= 128).astype(np.uint8),
            "gaze_head": np.asarray(from_gazenerf(np.asarray(f["pitchyaw_head"][i], np.float32))),
            "c2w_rotation": np.asarray(f["c2w_Rmat"][i], np.float32),
            "c2w_translation": np.asarray(f["c2w_Tvec"][i], np.float32).reshape(3),
            "intrinsics": np.asarray(f["inmat"][i], np.float32),
            "landmarks": np.asarray(f["facial_landmarks"][i], np.float32) if "facial_landmarks" in f
            else np.zeros((68, 2), np.float32),
            "identity": np.int32(subject),
            "frame": np.int32(frame),
            "view": np.int32(int(f["cam_index"][i].reshape(-1)[0])),
            **codes,
        }

    def __getstate__(self):
        state = dict(self.__dict__)
        state["_files"], state["_h5py"] = {}, None
        return state

    def __setstate__(self, state):
        import h5py  # noqa: PLC0415

        self.__dict__.update(state, _h5py=h5py)


def make_source(data_config, split, data_dir):
    """The pipeline's ``module:function`` hook.

    ``data_config.h5_glob`` (relative to ``data_dir``) may contain
    ``{split}``, e.g. ``"xgaze_{split}/*.h5"``.
    """
    pattern = str(pathlib.Path(data_dir) / data_config.h5_glob.format(split=split))
    paths = sorted(glob.glob(pattern))
    if not paths:
        raise ValueError(f"no GazeNeRF h5 files match {pattern}")
    return GazeNeRFH5Source(paths)
