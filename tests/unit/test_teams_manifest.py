"""The Teams app package: the manifest template renders to a manifest valid against the
official v1.17 schema, and the zip holds what Teams requires."""

from __future__ import annotations

import functools
import importlib.util
import io
import json
import struct
import zipfile
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from jsonschema import Draft4Validator

ROOT = Path(__file__).resolve().parents[2]
#: The v1.17 schema from the npm package @microsoft/app-manifest 1.1.2 (MIT), unchanged.
SCHEMA = ROOT / "tests" / "data" / "teams" / "teams-manifest-1.17.schema.json"
APP_ID = "0b1c2d3e-aaaa-4bbb-8ccc-123456789abc"
ENV = {
    "TEAMS_APP_ID": APP_ID,
    "BOT_DOMAIN": "bot.example.com",
    "WEBSITE_URL": "https://example.com/smartcloudops",
    "PRIVACY_URL": "https://example.com/privacy",
    "TERMS_URL": "https://example.com/terms",
}


@functools.cache
def builder() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "teams_build_package", ROOT / "deploy" / "teams" / "build_package.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def manifest_errors(manifest: Any) -> list[str]:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    validator = Draft4Validator(schema)
    return [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(manifest)]


def test_rendered_manifest_is_valid_against_the_official_schema() -> None:
    """Every placeholder is filled and the manifest passes the v1.17 schema."""
    manifest = builder().render_manifest(builder().manifest_values(ENV))
    assert manifest_errors(manifest) == []
    assert "${" not in json.dumps(manifest)
    assert manifest["id"] == APP_ID
    (bot,) = manifest["bots"]
    assert bot["botId"] == APP_ID
    assert set(bot["scopes"]) == {"personal", "team", "groupChat"}
    assert bot["supportsFiles"] is True, "long answers are offered as files in personal chats"
    assert manifest["validDomains"] == ["bot.example.com"]


def test_schema_check_is_not_vacuous() -> None:
    """A manifest missing its bot id fails the same check."""
    manifest = builder().render_manifest(builder().manifest_values(ENV))
    del manifest["bots"][0]["botId"]
    assert manifest_errors(manifest)


def test_package_holds_manifest_and_icons_of_the_required_sizes(tmp_path: Path) -> None:
    """manifest.json, a 192x192 colour icon and a 32x32 outline icon at the zip's root."""
    path = tmp_path / "teams.zip"
    builder().build_package(path, builder().manifest_values(ENV))
    with zipfile.ZipFile(path) as package:
        assert sorted(package.namelist()) == ["color.png", "manifest.json", "outline.png"]
        assert manifest_errors(json.loads(package.read("manifest.json"))) == []
        assert png_size(package.read("color.png")) == (192, 192)
        assert png_size(package.read("outline.png")) == (32, 32)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"TEAMS_APP_ID": ""}, "set TEAMS_APP_ID"),
        ({"TEAMS_APP_ID": "not-a-guid"}, "GUID"),
        ({"BOT_DOMAIN": "https://bot.example.com/api"}, "host name only"),
        ({"PRIVACY_URL": "http://example.com"}, "PRIVACY_URL must be an https"),
    ],
)
def test_missing_or_malformed_values_are_named(change: dict[str, str], message: str) -> None:
    """The builder says which value to fix instead of writing a package Teams rejects."""
    with pytest.raises(ValueError, match=message):
        builder().manifest_values({**ENV, **change})


def png_size(data: bytes) -> tuple[int, int]:
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    width, height = struct.unpack(">II", io.BytesIO(data[16:24]).read())
    return width, height
