"""Converts ETH-XGaze into a TFDS dataset: the normalized 224 release, or the raw photos re-normalized.

Usage::

    python data_prep/eth_xgaze.py normalized224 --root xgaze_224 [--frames 10] [--out DIR]
    python data_prep/eth_xgaze.py raw --root xgaze [--size 512] [--focal 1600] [--distance 680]
        [--frames 10] [--masks module:function] [--out DIR]

``normalized224`` reads the released h5 files (``train_test_split.json``,
``train/``, ``test/``) into splits ``train``, ``person_specific`` and
``test`` (unlabelled: gaze NaN); see :mod:`gazejax.data.eth_xgaze`.
``raw`` re-normalizes the training photos of the raw release (18 cameras,
``calibration/``, ``data/annotation_train/``) at any size, with landmark
masks or the ``--masks`` hook, and eye patches for MGGR; see
:mod:`gazejax.data.eth_xgaze_raw`. ``--frames 10`` keeps the first 10 frames
of each training subject: GazeNeRF's 14.4K-image subset.

Conversion runs in ``--workers`` processes and resumes from ``--work-dir``
after a crash; the dataset appears in ``DIR/eth_xgaze/<config>/1.0.0`` only
when complete. Train with ``data.builder="tfds:eth_xgaze/<config>"``.
"""

import argparse
import sys

from gazejax.data import conversion, eth_xgaze, eth_xgaze_raw


def make_converter(args):
    if args.release == "normalized224":
        return eth_xgaze.converter(args.root, frames=args.frames)
    return eth_xgaze_raw.converter(args.root, size=args.size, focal=args.focal, distance=args.distance,
                                   frames=args.frames, masks=args.masks)


def parser():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("release", choices=("normalized224", "raw"), help="which release --root holds")
    p.add_argument("--root", required=True, help="the release folder (xgaze_224/ or the raw root)")
    p.add_argument("--frames", type=int, default=0, help="first N frames per training subject (0 = all)")
    p.add_argument("--size", type=int, default=512, help="raw: normalized image side (px)")
    p.add_argument("--focal", type=float, default=1600.0, help="raw: normalized focal length (px)")
    p.add_argument("--distance", type=float, default=680.0, help="raw: normalized distance (mm)")
    p.add_argument("--masks", default="", help="raw: module:function(image, landmarks) -> masks")
    conversion.add_arguments(p)
    return p


def main(argv=None):
    return conversion.run_script("eth_xgaze", make_converter, argv, parser())


if __name__ == "__main__":
    sys.exit(main())
