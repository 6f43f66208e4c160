"""Converts Gaze360 (``metadata.mat`` + ``imgs/``, as published) into a TFDS dataset.

Usage::

    python data_prep/gaze360.py --root GAZE360_DIR [--resolution 224] [--no-front-filter]
                                [--out DIR] [--workers N]

GAZE360_DIR holds ``metadata.mat`` and ``imgs/<recording>/head/...``. Every
sample with a detected face becomes a record: GazeHub's face crop of the head
image resized to ``--resolution`` and its gaze as our (pitch, yaw), in the
dataset's ``train``/``val``/``test`` split. ``val`` and ``test`` keep only the
front-180 samples (|pitch|, |yaw| <= 90 deg) that L2CS-Net evaluates on,
unless ``--no-front-filter``. See :mod:`gazejax.data.gaze360`. Writes
``DIR/gaze360/face<R>`` (``face<R>_unfiltered``); read it with
``data.builder="tfds:gaze360/face<R>"``. A killed run resumes.
"""

import argparse
import sys

from gazejax.data import conversion, gaze360


def make_parser():
    parser = argparse.ArgumentParser(prog="gaze360", description=__doc__.splitlines()[0])
    parser.add_argument("--root", required=True, help="Gaze360 folder holding metadata.mat and imgs/")
    parser.add_argument("--resolution", type=int, default=224, help="face crop side in pixels")
    parser.add_argument("--no-front-filter", dest="front_filter", action="store_false",
                        help="keep val/test samples beyond front 180 too")
    conversion.add_arguments(parser)
    return parser


def main(argv=None):
    return conversion.run_script(
        "gaze360", lambda args: gaze360.converter(args.root, args.resolution, args.front_filter),
        argv, make_parser())


if __name__ == "__main__":
    sys.exit(main())
