"""Converts MPIIFaceGaze (photos, ``Calibration/``, ``pXX.txt``) into a normalized TFDS dataset.

Usage::

    python data_prep/mpiifacegaze.py --root MPIIFaceGaze [--size 224] [--focal 960] [--distance 600] [--out DIR]

Writes ``DIR/mpiifacegaze/norm<size>_focal<f>_dist<d>/1.0.0`` with one split
per person (``p00`` ... ``p14``); leave-one-person-out fold k trains on
``data.split`` = the other 14 joined by ``+`` and tests on ``pk``
(:func:`gazejax.data.mpiifacegaze.fold_splits`). Defaults are GazeHub's
normalization (what L2CS trains on); GazeNeRF's is ``--size 512 --focal 1400
--distance 680``. Parallel over persons (``--workers``), resumable
(``--work-dir``), written atomically.
"""

import argparse
import sys

from gazejax.data import conversion, mpiifacegaze


def parser():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--root", required=True, help="the MPIIFaceGaze folder holding p00 ... p14")
    p.add_argument("--size", type=int, default=224, help="normalized image side (px)")
    p.add_argument("--focal", type=float, default=960.0, help="normalized focal length (px)")
    p.add_argument("--distance", type=float, default=600.0, help="normalized distance (mm)")
    p.add_argument("--persons", type=int, default=mpiifacegaze.PERSONS, help="convert p00 .. p(N-1)")
    conversion.add_arguments(p)
    return p


def make_converter(args):
    return mpiifacegaze.converter(args.root, size=args.size, focal=args.focal, distance=args.distance,
                                  persons=range(args.persons))


def main(argv=None):
    return conversion.run_script("mpiifacegaze", make_converter, argv, parser())


if __name__ == "__main__":
    sys.exit(main())
