"""Teams credentials at start-up: what is accepted, and what the errors tell the operator."""

from __future__ import annotations

import logging

import pytest

from bot.app.config import FileSettings, Settings, load_settings
from bot.app.wiring.teams import teams_config
from bot.core.errors import ConfigError

APP_ID = "0b1c2d3e-aaaa-4bbb-8ccc-123456789abc"
DEV = FileSettings(development_mode=True)


def test_app_id_and_password_enable_authenticated_multi_tenant_mode() -> None:
    """The usual production configuration."""
    config = teams_config(
        load_settings({"TEAMS_APP_ID": APP_ID, "TEAMS_APP_PASSWORD": "s3cret-value"})
    )
    assert config.authenticated
    sdk = config.sdk_configuration()
    assert (sdk.APP_ID, sdk.APP_PASSWORD, sdk.APP_TYPE) == (APP_ID, "s3cret-value", "MultiTenant")
    assert not hasattr(sdk, "APP_TENANTID")


def test_tenant_id_selects_single_tenant() -> None:
    """TEAMS_TENANT_ID makes the SDK use the single-tenant authority."""
    settings = Settings(teams_app_id=APP_ID, teams_app_password="pw", teams_tenant_id="tenant-1")
    sdk = teams_config(settings).sdk_configuration()
    assert (sdk.APP_TYPE, sdk.APP_TENANTID) == ("SingleTenant", "tenant-1")


def test_empty_app_id_outside_development_mode_says_what_to_set() -> None:
    """The error names the variables to set and the development switch."""
    with pytest.raises(ConfigError) as caught:
        teams_config(Settings())
    message = str(caught.value)
    for name in ("TEAMS_APP_ID", "TEAMS_APP_PASSWORD", "TEAMS_TENANT_ID", "development_mode"):
        assert name in message


def test_empty_app_id_in_development_mode_turns_authentication_off_with_a_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Local development runs unauthenticated, and says so loudly."""
    with caplog.at_level(logging.WARNING):
        config = teams_config(Settings(file=DEV))
    assert not config.authenticated
    assert "unauthenticated" in caplog.text


def test_app_id_without_password_fails() -> None:
    """An app id alone cannot authenticate replies."""
    with pytest.raises(ConfigError, match="TEAMS_APP_PASSWORD"):
        teams_config(Settings(teams_app_id=APP_ID))


def test_password_without_app_id_fails_even_in_development_mode() -> None:
    """Half a configuration is a mistake, not a request for anonymous mode."""
    with pytest.raises(ConfigError, match="TEAMS_APP_ID is empty"):
        teams_config(Settings(teams_app_password="pw", file=DEV))


def test_password_never_appears_in_repr() -> None:
    """Configs can be logged without leaking the client secret."""
    config = teams_config(Settings(teams_app_id=APP_ID, teams_app_password="s3cret"))
    assert "s3cret" not in repr(config)
    assert "s3cret" not in repr(config.sdk_configuration())
    assert APP_ID in repr(config)


def test_no_tenant_id_outside_development_mode_warns_that_any_tenant_may_use_the_bot(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Multi-tenant is allowed, but start-up says plainly that any tenant can use the bot."""
    with caplog.at_level(logging.WARNING, logger="adapters.teams"):
        config = teams_config(Settings(teams_app_id=APP_ID, teams_app_password="pw"))
    assert config.tenant_id is None
    assert "TEAMS_TENANT_ID is not set" in caplog.text
    assert "ANY Microsoft 365 tenant" in caplog.text


@pytest.mark.parametrize(
    "settings",
    [
        Settings(teams_app_id=APP_ID, teams_app_password="pw", teams_tenant_id="tenant-1"),
        Settings(teams_app_id=APP_ID, teams_app_password="pw", file=DEV),
    ],
    ids=["tenant-set", "development-mode"],
)
def test_a_tenant_id_or_development_mode_gives_no_tenant_warning(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    """With TEAMS_TENANT_ID set (or while developing) there is nothing to warn about."""
    with caplog.at_level(logging.WARNING, logger="adapters.teams"):
        teams_config(settings)
    assert "TEAMS_TENANT_ID" not in caplog.text
