"""``python -m gazejax``: the same as the ``gazejax`` command."""

import sys

from gazejax.cli import main

sys.exit(main())
