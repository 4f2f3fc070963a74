"""Gevent, the way Locust needs it, patched into the process only when a load runs.

Locust monkey-patches the whole process on import. Every other chirp command must stay
unpatched, so only the load commands (and generator worker processes) call
`patch_process()`, and they import Locust only after it.
"""

from __future__ import annotations

import os
import sys


def patch_process() -> None:
    """Patch for gevent before Locust is imported; safe to call twice."""
    from gevent import monkey

    if not monkey.is_module_patched("socket"):
        # The CLI has imported ssl (boto3, urllib3) by the time a command runs, and patching
        # ssl after that recurses forever; chirp's stack speaks plain HTTP, so ssl stays as is.
        monkey.patch_all(ssl="ssl" not in sys.modules)
    # Locust would patch again on import, ssl included; it has been done above.
    os.environ["LOCUST_SKIP_MONKEY_PATCH"] = "1"
