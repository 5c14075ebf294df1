"""The test suite itself refuses the network (tests/conftest.py)."""

from __future__ import annotations

import socket

import pytest


def test_connections_off_this_machine_fail() -> None:
    with (
        socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock,
        pytest.raises(OSError, match="must not use the network"),
    ):
        # 0.0.0.0 means this host on Linux: even a broken guard sends nothing out.
        sock.connect(("0.0.0.0", 9))  # noqa: S104
