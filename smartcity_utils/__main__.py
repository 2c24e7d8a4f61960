"""``python -m smartcity_utils`` runs the ``smartcity`` command."""

import sys

from smartcity_utils.cli import main

sys.exit(main())
