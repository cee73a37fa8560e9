"""The Teams adapter's settings, checked at start-up.

Bot Framework authentication needs the bot's app id and client secret (``TEAMS_APP_ID``,
``TEAMS_APP_PASSWORD``) and, for a single-tenant app registration, ``TEAMS_TENANT_ID``. An
empty app id switches request authentication off, which is only acceptable on a developer's
machine: it is accepted only when the configuration file says ``development_mode: true``.

With ``TEAMS_TENANT_ID`` set, the bot answers only activities from that tenant (see
:class:`~adapters.teams.bot.TeamsBot`); without it, any Microsoft 365 tenant that installs the
app can talk to the bot. That is legitimate for a multi-tenant bot, so it is allowed, but
outside development mode start-up logs a warning saying so.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from bot.core.errors import ConfigError

log = logging.getLogger(__name__)

_HOW_TO_ENABLE = (
    "set TEAMS_APP_ID and TEAMS_APP_PASSWORD to the Azure Bot's app id and client secret "
    "(plus TEAMS_TENANT_ID for a single-tenant app), or set development_mode: true in the "
    "SMARTCLOUDOPS_CONFIG file to try the bot locally without authentication"
)


@dataclass(frozen=True)
class TeamsConfig:
    """Validated Teams credentials. ``app_password`` never appears in ``repr``."""

    app_id: str
    app_password: str = field(repr=False)
    tenant_id: str | None = None

    @property
    def authenticated(self) -> bool:
        """Whether requests to ``/api/messages`` must carry a valid Bot Framework token."""
        return bool(self.app_id)

    @classmethod
    def checked(
        cls, *, app_id: str, app_password: str, tenant_id: str | None, development_mode: bool
    ) -> TeamsConfig:
        """Raises :class:`ConfigError` naming what to set when the credentials are unusable."""
        password, tenant = app_password, tenant_id or None
        if not app_id:
            if not development_mode:
                raise ConfigError(f"TEAMS_APP_ID is empty: {_HOW_TO_ENABLE}")
            if password or tenant:
                raise ConfigError(
                    "TEAMS_APP_PASSWORD or TEAMS_TENANT_ID is set but TEAMS_APP_ID is empty: "
                    "set TEAMS_APP_ID too, or unset both for local development"
                )
            log.warning(
                "teams: development mode without TEAMS_APP_ID: /api/messages accepts "
                "unauthenticated requests; never expose this server"
            )
            return cls(app_id="", app_password="")
        if not password:
            raise ConfigError(
                "TEAMS_APP_PASSWORD is empty: set it to a client secret of the app "
                "registration TEAMS_APP_ID"
            )
        if tenant is None and not development_mode:
            log.warning(
                "teams: TEAMS_TENANT_ID is not set: users of ANY Microsoft 365 tenant that "
                "installs the app can use this bot; set TEAMS_TENANT_ID to your tenant's id "
                "to answer only your organisation"
            )
        return cls(app_id=app_id, app_password=password, tenant_id=tenant)

    def sdk_configuration(self) -> SdkConfiguration:
        """The object botbuilder's ``ConfigurationBotFrameworkAuthentication`` reads."""
        return SdkConfiguration(self)


class SdkConfiguration:
    """botbuilder reads its settings as upper-case attributes of a configuration object."""

    def __init__(self, config: TeamsConfig) -> None:
        self.APP_ID = config.app_id
        self.APP_PASSWORD = config.app_password
        self.APP_TYPE = "SingleTenant" if config.tenant_id else "MultiTenant"
        if config.tenant_id:
            self.APP_TENANTID = config.tenant_id

    def __repr__(self) -> str:
        return f"SdkConfiguration(APP_ID={self.APP_ID!r}, APP_TYPE={self.APP_TYPE!r})"
