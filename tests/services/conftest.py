from tests.harness.fixtures_services import *  # noqa: F403
