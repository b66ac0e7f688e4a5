"""Entry point of ``python -m constructs_lib``."""

import sys

from constructs_lib.cli import main

sys.exit(main())
