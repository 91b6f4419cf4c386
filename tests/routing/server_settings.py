"""Settings for the proxy tests' live server process: the main settings on the test database."""

from __future__ import annotations

import os

from console.settings import *  # noqa: F403
from console.settings import DATABASES

DATABASES["default"]["NAME"] = os.environ["KORDON_TEST_DB_NAME"]
