import os
import socket

from chirp.core.errors import PortInUse
from chirp.core.settings import Settings
from chirp.infra.provision.local import ports
from chirp.infra.provision.local.component import Port
from chirp.infra.provision.local.provider import check_ports, data_components
from chirp.infra.provision.local.redis import RedisServer


def _listen() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen()
    return sock


def test_a_listening_port_is_not_free_and_its_holder_is_named():
    with _listen() as sock:
        port = sock.getsockname()[1]
        assert not ports.is_free("127.0.0.1", port)
        assert ports.holder(port) == f"{_own_name()} (pid {os.getpid()})"
    assert ports.is_free("127.0.0.1", port)


def _own_name() -> str:
    import psutil

    return psutil.Process().name()


def test_free_port_is_bindable():
    port = ports.free_port()
    assert ports.is_free("127.0.0.1", port)


def test_port_env_var_names_the_setting():
    assert Port(6379, "redis_port").env_var == "CHIRP_REDIS_PORT"


def test_check_ports_names_port_setting_and_holder():
    with _listen() as sock:
        port = sock.getsockname()[1]
        settings = Settings(redis_port=port)
        try:
            check_ports([RedisServer(settings)])
        except PortInUse as error:
            message = str(error)
        else:
            raise AssertionError("a held port was not reported")
    assert str(port) in message
    assert "CHIRP_REDIS_PORT" in message
    assert f"pid {os.getpid()}" in message


def test_every_component_declares_distinct_ports():
    numbers = [p.number for c in data_components(Settings()) for p in c.ports()]
    assert len(numbers) == len(set(numbers))
