from __future__ import annotations

import gc
import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hub.settings")
application = get_wsgi_application()

# What is loaded by now lives as long as the process: the modules, the models' metadata and
# the URLconf with every view (imported here rather than by the first request). Frozen, the
# collector no longer walks its 160,000 objects on each full pass, which took about 100 ms,
# paused every thread of the worker, and came every one to three thousand requests.
get_resolver().url_patterns  # noqa: B018
gc.freeze()
