"""Prepares ColumbiaGaze eye patches for MGGR (PRGAN's protocol): ``train.npz`` / ``test.npz``.

Usage::

    python data_prep/columbia.py --images RAW_DIR --landmarks lm.json [--out DIR]

RAW_DIR holds the raw ColumbiaGaze images (searched recursively for
``NNNN_2m_*P_*V_*H.jpg``); ``--landmarks`` is a JSON object or ``.npz``
mapping each image file name to its 68 dlib landmarks ``[[x, y], ...]`` (no
landmark detector ships with gazejax). Images without landmarks are skipped
and counted. DIR defaults to ``$GAZEJAX_DATA/columbia`` (or
``~/gazejax_data/columbia``), where ``gazejax.data.columbia:make_source``
reads it. See :mod:`gazejax.data.columbia` for the crop rule and labels.
"""

import argparse
import pathlib
import sys

import numpy as np
from PIL import Image

from gazejax.data import columbia
from gazejax.data.pipeline import default_data_dir
from gazejax.geometry import columbia_filename_to_labels


def prepare(images_dir, landmarks_path, out_dir):
    """Crops every labelled image under ``images_dir``; returns {split: count, 'skipped': n}."""
    landmarks = columbia.read_landmarks(landmarks_path)
    paths = sorted(p for p in pathlib.Path(images_dir).rglob("*.jpg")
                   if "_2m_" in p.name and not p.stem.endswith(("_L", "_R")))
    if not paths:
        raise ValueError(f"no ColumbiaGaze images (NNNN_2m_*P_*V_*H.jpg) under {images_dir}")
    splits = {"train": [], "test": []}
    skipped = 0
    for path in paths:
        if path.name not in landmarks:
            skipped += 1
            continue
        subject = columbia_filename_to_labels(path.name)["subject"]
        image = np.asarray(Image.open(path).convert("RGB"))
        splits[columbia.split_of(subject)].append(
            columbia.patch_record(path.name, image, landmarks[path.name]))
    counts = {}
    for split, records in splits.items():
        if records:
            columbia.write_split(records, pathlib.Path(out_dir) / f"{split}.npz")
        counts[split] = len(records)
    counts["skipped"] = skipped
    return counts


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", required=True, help="raw ColumbiaGaze image folder")
    parser.add_argument("--landmarks", required=True, help="JSON/.npz: file name -> 68x2 landmarks")
    parser.add_argument("--out", default=None, help="output folder (default: DATA_DIR/columbia)")
    args = parser.parse_args(argv)
    out = pathlib.Path(args.out) if args.out else default_data_dir() / "columbia"
    try:
        counts = prepare(args.images, args.landmarks, out)
    except (ValueError, OSError) as e:
        print(f"columbia: error: {e}", file=sys.stderr)
        return 2
    print(f"wrote {out}: {counts['train']} train, {counts['test']} test images "
          f"({counts['skipped']} skipped: no landmarks)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
