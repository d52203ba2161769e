"""``python -m fentanet``: the command line (the same as the ``fentanet`` script)."""

import sys

from fentanet.cli import main

sys.exit(main())
