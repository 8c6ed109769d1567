"""The project's settings with a cache that never keeps the results of finished runs
(see bench/uncached.py); used by bench/api.py for its uncached server."""

from config.settings import *  # noqa: F403

CACHES = {"default": {"BACKEND": "bench.uncached.NoResults"}}
