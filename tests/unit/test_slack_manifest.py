"""The Slack app manifests in ``deploy/slack`` ask for what the adapter needs, no more, and
point Slack at the endpoint the bot serves."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from adapters.slack.adapter import BOT_EVENTS, BOT_SCOPES, COMMAND
from adapters.slack.factory import EVENTS_PATH, OAUTH_EVENTS, REDIRECT_PATH

DEPLOY = Path(__file__).resolve().parents[2] / "deploy" / "slack"
MANIFESTS = ("manifest.yaml", "manifest.socket-mode.yaml", "manifest.oauth.yaml")
#: What each manifest subscribes to on top of the adapter's events.
EXTRA_EVENTS = {"manifest.oauth.yaml": OAUTH_EVENTS}


def load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((DEPLOY / name).read_text(encoding="utf-8"))
    return data


@pytest.mark.parametrize("name", MANIFESTS)
def test_manifest_grants_exactly_the_scopes_and_events_the_adapter_uses(name: str) -> None:
    manifest = load(name)
    assert set(manifest["oauth_config"]["scopes"]["bot"]) == BOT_SCOPES
    events = set(manifest["settings"]["event_subscriptions"]["bot_events"])
    assert events == BOT_EVENTS | EXTRA_EVENTS.get(name, frozenset())
    assert manifest["settings"]["interactivity"]["is_enabled"] is True
    assert manifest["features"]["app_home"]["messages_tab_enabled"] is True
    [command] = manifest["features"]["slash_commands"]
    assert command["command"] == COMMAND
    assert manifest["_metadata"]["major_version"] == 1


@pytest.mark.parametrize("name", ["manifest.yaml", "manifest.oauth.yaml"])
def test_http_manifests_send_everything_to_the_bots_events_endpoint(name: str) -> None:
    manifest = load(name)
    settings = manifest["settings"]
    urls = {
        manifest["features"]["slash_commands"][0]["url"],
        settings["event_subscriptions"]["request_url"],
        settings["interactivity"]["request_url"],
    }
    assert len(urls) == 1
    [url] = urls
    assert url.startswith("https://")
    assert url.endswith(EVENTS_PATH)
    assert settings["socket_mode_enabled"] is False


def test_socket_mode_manifest_needs_no_public_url() -> None:
    text = (DEPLOY / "manifest.socket-mode.yaml").read_text(encoding="utf-8")
    manifest = load("manifest.socket-mode.yaml")
    assert manifest["settings"]["socket_mode_enabled"] is True
    assert "request_url" not in text
    assert "url:" not in text


def test_oauth_manifest_redirects_installs_to_the_bot_and_rotates_no_tokens() -> None:
    """Slack sends installers back to the bot's redirect route on the events host; the bot
    does not refresh tokens, so rotation stays off (a rotating token would expire)."""
    manifest = load("manifest.oauth.yaml")
    [redirect] = manifest["oauth_config"]["redirect_urls"]
    events = manifest["settings"]["event_subscriptions"]["request_url"]
    assert redirect.startswith("https://")
    assert redirect.endswith(REDIRECT_PATH)
    assert redirect.removesuffix(REDIRECT_PATH) == events.removesuffix(EVENTS_PATH)
    assert manifest["settings"]["token_rotation_enabled"] is False


def test_single_workspace_manifests_have_no_install_redirect() -> None:
    for name in ("manifest.yaml", "manifest.socket-mode.yaml"):
        assert "redirect_urls" not in load(name)["oauth_config"]
