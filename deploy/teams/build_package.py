"""Build the Teams app package (manifest.json + icons, zipped) to upload in Teams.

    TEAMS_APP_ID=... BOT_DOMAIN=bot.example.com WEBSITE_URL=https://... \
    PRIVACY_URL=https://... TERMS_URL=https://... \
    python deploy/teams/build_package.py -o smartcloudops-teams.zip

``TEAMS_APP_ID`` is the Azure Bot's Microsoft App ID (the same value the bot reads); it is
also used as the Teams app id. ``BOT_DOMAIN`` is the public host in front of
``https://BOT_DOMAIN/api/messages`` (set that URL as the Azure Bot's messaging endpoint).
``APP_VERSION`` (default 0.1.0) and ``DEVELOPER_NAME`` (default SmartCloudOps) are optional.
The icons are drawn here (a bar chart, 192x192 colour and 32x32 white outline) so the
repository holds no binaries. Standard library only.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import struct
import sys
import zipfile
import zlib
from collections.abc import Mapping
from pathlib import Path

TEMPLATE = Path(__file__).with_name("manifest.template.json")
REQUIRED = ("TEAMS_APP_ID", "BOT_DOMAIN", "WEBSITE_URL", "PRIVACY_URL", "TERMS_URL")
DEFAULTS = {"APP_VERSION": "0.1.0", "DEVELOPER_NAME": "SmartCloudOps"}
_PLACEHOLDER = re.compile(r"\$\{([A-Z_]+)\}")
_GUID = re.compile(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")
_ACCENT = (0x2F, 0x6F, 0xDE, 0xFF)
_WHITE = (0xFF, 0xFF, 0xFF, 0xFF)
_CLEAR = (0, 0, 0, 0)


class PackageError(ValueError):
    """A missing or malformed value; the message names it."""


def manifest_values(environ: Mapping[str, str]) -> dict[str, str]:
    """The template's values from ``environ``, checked."""
    values = {
        **DEFAULTS,
        **{k: v.strip() for k, v in environ.items() if k in (*REQUIRED, *DEFAULTS)},
    }
    missing = [name for name in REQUIRED if not values.get(name)]
    if missing:
        raise PackageError(f"set {', '.join(missing)}")
    if not _GUID.match(values["TEAMS_APP_ID"]):
        raise PackageError("TEAMS_APP_ID must be the Azure Bot's app id (a GUID)")
    if "/" in values["BOT_DOMAIN"] or ":" in values["BOT_DOMAIN"]:
        raise PackageError("BOT_DOMAIN is a host name only, e.g. bot.example.com")
    for name in ("WEBSITE_URL", "PRIVACY_URL", "TERMS_URL"):
        if not values[name].startswith("https://"):
            raise PackageError(f"{name} must be an https:// URL")
    return values


def render_manifest(values: Mapping[str, str]) -> dict[str, object]:
    """The manifest with every ``${NAME}`` replaced (JSON-escaped)."""

    def fill(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in values:
            raise PackageError(f"set {name}")
        return json.dumps(values[name])[1:-1]

    text = _PLACEHOLDER.sub(fill, TEMPLATE.read_text(encoding="utf-8"))
    manifest: dict[str, object] = json.loads(text)
    return manifest


def build_package(path: Path, values: Mapping[str, str]) -> None:
    """Write the zip Teams accepts: manifest.json, color.png, outline.png at its root."""
    manifest = json.dumps(render_manifest(values), indent=2, ensure_ascii=False)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as package:
        package.writestr("manifest.json", manifest)
        package.writestr("color.png", icon(192, _WHITE, _ACCENT))
        package.writestr("outline.png", icon(32, _WHITE, _CLEAR))


def icon(size: int, bars: tuple[int, ...], background: tuple[int, ...]) -> bytes:
    """A square RGBA PNG: three rising bars on ``background``."""
    heights = (0.35, 0.6, 0.85)
    margin, gap = size // 6, size // 12
    width = (size - 2 * margin - 2 * gap) // 3
    rows = []
    for y in range(size):
        row = bytearray(b"\0")
        for x in range(size):
            colour = background
            for index, height in enumerate(heights):
                left = margin + index * (width + gap)
                top = size - margin - int(height * (size - 2 * margin))
                if left <= x < left + width and top <= y < size - margin:
                    colour = bars
            row.extend(colour)
        rows.append(bytes(row))
    return _png(size, size, b"".join(rows))


def _png(width: int, height: int, raw: bytes) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw, 9))
        + chunk(b"IEND", b"")
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-o", "--output", type=Path, default=Path("smartcloudops-teams.zip"))
    args = parser.parse_args(argv)
    try:
        build_package(args.output, manifest_values(os.environ))
    except PackageError as exc:
        sys.stderr.write(f"build_package: {exc}\n")
        return 2
    sys.stdout.write(f"wrote {args.output}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
