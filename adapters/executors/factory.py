"""Builds every executor the policy names, and closes their clients on exit."""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator, Mapping

from bot.core.errors import ConfigError
from bot.features.remediation import policy as spec
from bot.features.remediation.ports import ActionExecutor


@contextlib.asynccontextmanager
async def open_executors(
    policy: spec.Policy, environ: Mapping[str, str] | None = None
) -> AsyncIterator[dict[str, ActionExecutor]]:
    """One executor per ``policy.executors`` entry, by name. Webhook secrets are read from
    the environment here, so a missing secret fails start-up with the key that names it."""
    env = os.environ if environ is None else environ
    async with contextlib.AsyncExitStack() as stack:
        executors: dict[str, ActionExecutor] = {}
        for name, config in policy.executors.items():
            executors[name] = await _build(name, config, env, stack)
        yield executors


async def _build(
    name: str,
    config: spec.KubernetesExecutor | spec.WebhookExecutor | spec.CommandExecutor,
    env: Mapping[str, str],
    stack: contextlib.AsyncExitStack,
) -> ActionExecutor:
    if isinstance(config, spec.CommandExecutor):
        from adapters.executors.command import CommandExecutor

        return CommandExecutor.from_config(config)
    if isinstance(config, spec.WebhookExecutor):
        import aiohttp  # only with a webhook executor: every command builds the executors

        from adapters.executors.webhook import WebhookExecutor

        secret = env.get(config.secret_env, "")
        if not secret:
            raise ConfigError(
                f"policy.executors.{name}.secret_env: environment variable "
                f"{config.secret_env} is not set"
            )
        session = await stack.enter_async_context(aiohttp.ClientSession())
        return WebhookExecutor(
            config.url,
            secret.encode(),
            session=session,
            timeout_seconds=config.timeout_seconds,
            max_output_bytes=config.max_output_bytes,
        )
    from adapters.executors.kubernetes import KubernetesExecutor, open_api_client

    try:
        client = await stack.enter_async_context(open_api_client(config))
    except Exception as exc:  # the client's config loaders raise assorted exception types
        raise ConfigError(
            f"policy.executors.{name}: cannot load Kubernetes credentials ({exc})"
        ) from None
    return KubernetesExecutor(client, config.namespace, timeout_seconds=config.timeout_seconds)
