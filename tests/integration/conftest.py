from tests.fixtures.docker_engine import docker_client  # noqa: F401
