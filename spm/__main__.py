"""Entry point for `python -m spm`."""

import sys

from spm.cli import main

sys.exit(main())
