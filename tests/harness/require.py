"""Finding service binaries: a missing one fails the test in CI and skips it elsewhere."""

from __future__ import annotations

import glob
import os
import shutil
import socket

import pytest

_EXTRA_DIRS = ("/usr/sbin", "/usr/local/bin", *sorted(glob.glob("/usr/lib/postgresql/*/bin")))


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() not in ("", "0", "false", "no")


def require_binary(name: str) -> str:
    """Absolute path of ``name``; fail (CI) or skip (elsewhere) when it is not installed."""
    found = shutil.which(name)
    if found is None:
        for directory in reversed(_EXTRA_DIRS):
            candidate = os.path.join(directory, name)
            if os.access(candidate, os.X_OK):
                found = candidate
                break
    if found is None:
        message = f"{name} is not installed (./dev.sh test installs it)"
        if in_ci():
            pytest.fail(message)
        pytest.skip(message)
    return found


def free_port() -> int:
    """A TCP port that is free on 127.0.0.1 right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port
