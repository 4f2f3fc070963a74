"""The compose provider: chirp's stack as Docker Compose services.

`docker-compose.yml` at the repository root holds the services (an installed chirp
ships it and stages it under the run directory, see `project`); this package feeds it
chirp's settings and runs it.
"""

from chirp.infra.provision.compose.env import compose_env, settings_env, write_env_file
from chirp.infra.provision.compose.provider import (
    COMPOSE_FILE,
    compose_down,
    compose_up,
    require_docker,
)

__all__ = [
    "COMPOSE_FILE",
    "compose_down",
    "compose_env",
    "compose_up",
    "require_docker",
    "settings_env",
    "write_env_file",
]
