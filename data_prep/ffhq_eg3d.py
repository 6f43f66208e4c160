"""Converts FFHQ in EG3D's layout (``FFHQ_512.zip`` or its folder + ``dataset.json``) into a TFDS dataset.

Usage::

    python data_prep/ffhq_eg3d.py --source FFHQ_512.zip [--resolution 512] [--add-mirror]
                                  [--out DIR] [--workers N]

The source is what EG3D's ``dataset_tool.py`` writes (a zip, or the folder it
zips) with the 25-number camera labels in ``dataset.json``; any image set in
that layout works. Records: ``image`` (resized with Lanczos if
``--resolution`` differs), ``camera`` (the label) and ``identity``, all in
split ``train``. EG3D's FFHQ already holds every image's mirror;
``--add-mirror`` adds them (labels mirrored) for a set that does not. See
:mod:`gazejax.data.ffhq_eg3d`. Writes ``DIR/ffhq_eg3d/r<R>`` (``r<R>_mirror``);
read it with ``data.builder="tfds:ffhq_eg3d/r<R>"``. A killed run resumes.
"""

import argparse
import sys

from gazejax.data import conversion, ffhq_eg3d


def make_parser():
    parser = argparse.ArgumentParser(prog="ffhq_eg3d", description=__doc__.splitlines()[0])
    parser.add_argument("--source", required=True, help="EG3D dataset zip or folder with dataset.json")
    parser.add_argument("--resolution", type=int, default=512, help="image side in pixels")
    parser.add_argument("--add-mirror", action="store_true",
                        help="also write each image's mirror (for sets without baked-in mirrors)")
    conversion.add_arguments(parser)
    return parser


def main(argv=None):
    return conversion.run_script(
        "ffhq_eg3d", lambda args: ffhq_eg3d.converter(args.source, args.resolution, args.add_mirror),
        argv, make_parser())


if __name__ == "__main__":
    sys.exit(main())
