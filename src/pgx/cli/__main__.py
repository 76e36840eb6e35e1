"""``python -m pgx.cli`` runs the ``pgx`` command."""

import sys

from pgx.cli import main

sys.exit(main())
