"""The installed package's version (``--version`` and ``smartcloudops_build_info``)."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

#: What a source tree that was never pip-installed reports.
UNKNOWN = "unknown"


def installed_version() -> str:
    """The version of the installed ``smartcloudops`` distribution, or :data:`UNKNOWN`."""
    try:
        return version("smartcloudops")
    except PackageNotFoundError:
        return UNKNOWN
