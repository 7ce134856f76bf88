"""`python -m tui` runs the mailpath command line."""

import sys

from tui.cli import main

sys.exit(main())
