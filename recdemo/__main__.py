"""`python -m recdemo`: see `recdemo.cli`."""

import sys

from recdemo.cli import main

sys.exit(main())
