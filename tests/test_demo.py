"""`make demo`'s messages name what works through make."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from scripts.demo import DemoError, Server


def test_busy_port_hint_names_the_make_variable(tmp_path: Path) -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        server = Server(tmp_path, "agent-service", port, env={})
        with pytest.raises(DemoError) as caught:
            server.start()
    message = str(caught.value)
    assert f"port {port} is already in use" in message
    assert f"make demo DEMO_PORT={port + 1}" in message
    assert server.process is None, "nothing may start on a busy port"
