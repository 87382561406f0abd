"""Browser tests reuse the real-broker fixtures (kafka, namespace, worker_env, worker) of the integration tier."""

from tests.integration.conftest import *  # noqa: F403
