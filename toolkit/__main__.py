"""``python -m toolkit`` runs the trailwatch CLI."""

import sys

from toolkit.cli import main

sys.exit(main())
