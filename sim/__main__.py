"""``python -m sim``: the same as the ``wlsim`` command."""

import sys

from sim.app.cli import main

sys.exit(main())
