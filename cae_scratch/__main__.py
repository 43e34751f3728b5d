"""``python -m cae_scratch ...``: the command line lives in ``apps.cli``."""
import sys

from .apps.cli import main

sys.exit(main())
