"""Gaze-Corrected EG3D's "+DP": keep the images of an EG3D-layout set whose estimated gaze looks sideways.

FFHQ's eyes mostly look into the camera, so a generator fine-tuned on it
learns eyes that follow the camera. The "+DP" step runs a gaze estimator over
every image of an EG3D zip or folder (:mod:`gazejax.data.ffhq_eg3d`) and keeps
those whose estimated gaze yaw satisfies ``|yaw| > min_abs_yaw`` (strictly;
0.4 rad in the paper). The yaw is the estimator's gaze in the camera frame, in
our (pitch, yaw) radians, not relative to the head; since only ``|yaw|``
counts, an image and its mirror (EG3D's FFHQ holds both) are usually kept or
dropped together, but each is decided on its own estimate. The official
release ships the filtered set but no filtering code; these semantics are
ours (docs/datasets.md).

Two steps, both resumable after a crash:

1. :func:`estimate_gaze` runs the estimator under ``jit`` in fixed-size
   batches (the last one padded, so it compiles once) with a progress bar;
   each chunk of :data:`CHUNK` estimates is cached atomically in the work dir.
2. The kept images go through :func:`gazejax.data.conversion.convert` with
   :func:`gazejax.data.ffhq_eg3d.read_unit`, so the result has the FFHQ
   converter's features (``image``, ``camera``, ``identity`` = index among
   the kept images) and is read the same way. Every image's estimate and
   decision is written next to it as ``<config>_estimates.csv``.

``preprocess`` chooses how an image reaches the estimator: ``"official"`` is
the Gaze-Corrected EG3D code's (the whole image, no face crop, bilinear
resize to 448 without antialiasing); ``"crop"`` is the estimator's own face
crop, input size and antialiasing from its export info.
"""

import csv
import os
import pathlib

import jax
import numpy as np
import tqdm

from gazejax.convert import ConversionError, load, read_info
from gazejax.data import conversion, ffhq_eg3d
from gazejax.data.conversion import Converter, DataError, Unit
from gazejax.errors import first_line
from gazejax.pretrained.gaze_estimator import check_estimator, estimate_angles

NAME = "ffhq_eg3d_gaze_filter"
PREPROCESSES = ("official", "crop")
OFFICIAL_INPUT_SIZE = 448  # the Gaze-Corrected EG3D code resizes the whole 512^2 image to this
CHUNK = 1000  # estimates per cached file in the work dir


def estimator_info(info, preprocess):
    """The estimator's export ``info`` with the image preparation of ``preprocess`` applied."""
    if preprocess == "official":
        return {**info, "crop": None, "input_size": OFFICIAL_INPUT_SIZE, "antialias": False}
    if preprocess == "crop":
        return info
    raise DataError(f"preprocess {preprocess!r}: expected one of {', '.join(PREPROCESSES)}")


def load_estimator(directory, preprocess):
    """A jitted ``images (N, H, W, 3) in [0, 1] -> gaze (N, 2)`` (pitch, yaw) radians from a converted
    or exported gaze estimator directory; :class:`DataError` naming it when it is not one."""
    try:
        check_estimator(read_info(directory), directory)
        module, variables, info = load(directory)
    except (ConversionError, ValueError, OSError) as e:
        raise DataError(f"{directory}: not a gaze estimator ({first_line(e)})") from None
    info = estimator_info(info, preprocess)
    return jax.jit(lambda images: estimate_angles(module, variables, info, images)["gaze"])


def config_name(resolution, preprocess, min_abs_yaw):
    """The TFDS config of one filtering, e.g. ``r512_official_yaw0p4``."""
    return f"r{resolution}_{preprocess}_yaw{min_abs_yaw:g}".replace(".", "p").replace("-", "m")


def _estimate_chunk(path, names, estimate, batch, bar):
    """Gaze (len(names), 2) float32 of ``names``, ``batch`` images per call, the last batch padded."""
    out, images = [], []
    shape = None

    def flush():
        count = len(images)
        stacked = np.stack(images + [images[-1]] * (batch - count)).astype(np.float32) / 255.0
        out.append(np.asarray(estimate(stacked))[:count])
        bar.update(count)
        images.clear()

    for name, (image, _) in zip(names, ffhq_eg3d.read(path, names)):
        shape = shape or image.shape
        if image.shape != shape:
            raise DataError(f"{path}/{name}: {image.shape[1]}x{image.shape[0]} image among "
                            f"{shape[1]}x{shape[0]} ones")
        images.append(image)
        if len(images) == batch:
            flush()
    if images:
        flush()
    return np.concatenate(out).astype(np.float32)


def estimate_gaze(path, names, estimate, work_dir, *, batch=16, chunk=CHUNK, progress=True):
    """Estimated gaze ``(len(names), 2)`` (pitch, yaw) radians of the images ``names`` of ``path``.

    Args:
      path: EG3D zip or folder.
      names: image names (``ffhq_eg3d.image_names(path)``).
      estimate: ``images (batch, H, W, 3) float32 in [0, 1] -> (batch, 2)``.
      work_dir: where finished chunks are cached (``<start>.npy``); a rerun
        after a crash estimates only the chunks not there yet.
      batch: images per ``estimate`` call.
      chunk: images per cached file.
      progress: show a progress bar.
    """
    work_dir = pathlib.Path(work_dir)
    starts = range(0, len(names), chunk)
    cached = [s for s in starts if (work_dir / f"{s:08d}.npy").is_file()]
    bar = tqdm.tqdm(total=len(names), initial=sum(len(names[s:s + chunk]) for s in cached),
                    unit="image", desc="gaze estimates", disable=not progress)
    with bar:
        for start in starts:
            target = work_dir / f"{start:08d}.npy"
            if target.is_file():
                continue
            gaze = _estimate_chunk(path, names[start:start + chunk], estimate, batch, bar)
            tmp = work_dir / f"{start:08d}.tmp.npy"
            np.save(tmp, gaze)
            os.replace(tmp, target)  # the chunk counts as done only now
    return np.concatenate([np.load(work_dir / f"{s:08d}.npy") for s in starts])


def kept(gaze, min_abs_yaw):
    """The "+DP" decision per image: ``|yaw| > min_abs_yaw`` of gaze ``(N, 2)`` (pitch, yaw)."""
    return np.abs(np.asarray(gaze)[:, 1]) > min_abs_yaw


def write_table(path, names, gaze, keep):
    """CSV of every image: name, estimated pitch and yaw (rad), kept (0/1), its record key if kept."""
    path = pathlib.Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["name", "pitch", "yaw", "kept", "record"])
        k = 0
        for name, (pitch, yaw), keep_it in zip(names, gaze, keep):
            writer.writerow([name, f"{pitch:.6f}", f"{yaw:.6f}", int(keep_it), f"{k:08d}" if keep_it else ""])
            k += int(keep_it)
    os.replace(tmp, path)


def filter_dataset(source, estimate, out_dir, *, min_abs_yaw, estimator, preprocess, batch=16, chunk=CHUNK,
                   workers=0, work_dir=None, progress=True):
    """Estimates, filters and converts an EG3D zip or folder; returns ``(Summary, table path)``.

    Args:
      source: EG3D zip or folder with ``dataset.json``.
      estimate: as for :func:`estimate_gaze` (:func:`load_estimator`).
      out_dir: the TFDS data dir; the dataset goes to
        ``out_dir/ffhq_eg3d_gaze_filter/<config>``, the table next to it.
      min_abs_yaw: radians; images with ``|yaw|`` above it are kept.
      estimator, preprocess: what ``estimate`` is (its directory) and how it
        prepares images (:data:`PREPROCESSES`); they name the config and a
        work dir is only resumed with the same ones.
      workers, work_dir, progress: as :func:`gazejax.data.conversion.convert`.

    Raises:
      DataError: one line naming the file (bad input, nothing kept, a
        finished dataset already there, a work dir of other settings).
    """
    if preprocess not in PREPROCESSES:
        raise DataError(f"preprocess {preprocess!r}: expected one of {', '.join(PREPROCESSES)}")
    if batch < 1:
        raise DataError(f"batch {batch}: must be at least 1")
    if not min_abs_yaw >= 0:
        raise DataError(f"min_abs_yaw {min_abs_yaw}: must be a non-negative number of radians")
    names = ffhq_eg3d.image_names(source)
    if not names:
        raise DataError(f"{source}: no images")
    first_image, _ = next(ffhq_eg3d.read(source, names[:1]))  # checks every label first
    resolution = first_image.shape[0]
    config = config_name(resolution, preprocess, min_abs_yaw)
    out_dir = pathlib.Path(out_dir)
    final = conversion.dataset_dir(out_dir, NAME, config)
    if final.exists():  # before hours of estimates
        raise DataError(f"{final}: already converted; delete it to convert again")
    work_dir = pathlib.Path(work_dir or out_dir / ".work" / NAME / config)
    settings = {"source": str(pathlib.Path(source).absolute()), "estimator": str(estimator),
                "preprocess": preprocess, "min_abs_yaw": min_abs_yaw, "chunk": chunk}
    estimates_dir = work_dir / "estimates"
    conversion.check_work_dir(estimates_dir, settings)

    gaze = estimate_gaze(source, names, estimate, estimates_dir, batch=batch, chunk=chunk, progress=progress)
    keep = kept(gaze, min_abs_yaw)
    chosen = [n for n, k in zip(names, keep) if k]
    if not chosen:
        raise DataError(f"{source}: no image has an estimated |yaw| above {min_abs_yaw:g} rad "
                        f"(largest {np.abs(gaze[:, 1]).max():.3f})")
    units = [Unit(f"train/{start:08d}", "train", str(source),
                  (str(source), start, chosen[start:start + ffhq_eg3d.UNIT_SIZE], resolution, False))
             for start in range(0, len(chosen), ffhq_eg3d.UNIT_SIZE)]
    converter = Converter(
        NAME, config, ffhq_eg3d.features(resolution), units, ffhq_eg3d.read_unit, settings,
        f"EG3D-layout images whose estimated gaze |yaw| > {min_abs_yaw:g} rad (Gaze-Corrected EG3D +DP).")
    table = out_dir / NAME / f"{config}_estimates.csv"
    write_table(table, names, gaze, keep)  # before convert, which deletes the cached estimates
    summary = conversion.convert(converter, out_dir, workers=workers, work_dir=work_dir, progress=progress)
    return summary, table
