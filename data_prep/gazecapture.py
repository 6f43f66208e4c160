"""Converts GazeCapture (its per-session folders, as published) into a TFDS dataset.

Usage::

    python data_prep/gazecapture.py --root GAZECAPTURE_DIR [--resolution 224] [--out DIR] [--workers N]

GAZECAPTURE_DIR holds the ``NNNNN/`` session folders (``frames/*.jpg`` and
the JSON files). Each frame whose face and both eyes were detected becomes a
record: the Apple face box resized to ``--resolution``, the eye boxes, the
face grid and the dot position in cm, in the session's official split
(``train``/``val``/``test`` from ``info.json``). See
:mod:`gazejax.data.gazecapture`. Writes ``DIR/gazecapture/face<R>``; read it
with ``data.builder="tfds:gazecapture/face<R>"``. A killed run resumes.
"""

import argparse
import sys

from gazejax.data import conversion, gazecapture


def make_parser():
    parser = argparse.ArgumentParser(prog="gazecapture", description=__doc__.splitlines()[0])
    parser.add_argument("--root", required=True, help="GazeCapture folder holding the NNNNN/ sessions")
    parser.add_argument("--resolution", type=int, default=224, help="face crop side in pixels")
    conversion.add_arguments(parser)
    return parser


def main(argv=None):
    return conversion.run_script(
        "gazecapture", lambda args: gazecapture.converter(args.root, args.resolution), argv, make_parser())


if __name__ == "__main__":
    sys.exit(main())
