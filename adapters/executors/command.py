"""Local command runbooks: the argv comes from the policy, parameters are substituted into
single arguments, and the process is started without a shell.

A parameter value can never become a second argument, a shell construct or a redirect: each
template element becomes exactly one argv element. The run has a timeout (the whole process
group is killed) and its captured output is truncated. The child gets a small environment
(``PATH``, ``HOME``, ``LANG`` plus the executor's ``env``), never the bot's secrets.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shlex
import signal
from collections.abc import Mapping, Sequence

from bot.features.remediation.model import ExecutionResult, Operation, Plan
from bot.features.remediation.policy import CommandExecutor as CommandExecutorConfig

_INHERITED_ENV = ("PATH", "HOME", "LANG", "LC_ALL", "TZ")
_CHUNK = 65536


def render_argv(template: Sequence[str], operation: Operation) -> list[str]:
    """The argv of ``operation``: each template element formatted with the parameters, as
    one argument (``"--service={target}"`` stays one argument whatever ``target`` holds)."""
    values = {
        "target": operation.target,
        "replicas": "" if operation.replicas is None else str(operation.replicas),
        "action": operation.action,
    }
    return [element.format_map(values) for element in template]


class CommandExecutor:
    """Implements :class:`bot.features.remediation.ports.ActionExecutor` for local runbooks."""

    def __init__(
        self,
        *,
        timeout_seconds: float = 60.0,
        max_output_bytes: int = 4000,
        env: Mapping[str, str] | None = None,
        cwd: str | None = None,
    ) -> None:
        self._timeout = timeout_seconds
        self._max_output = max_output_bytes
        self._env = {k: v for k, v in os.environ.items() if k in _INHERITED_ENV} | dict(env or {})
        self._cwd = cwd

    @classmethod
    def from_config(cls, config: CommandExecutorConfig) -> CommandExecutor:
        return cls(
            timeout_seconds=config.timeout_seconds,
            max_output_bytes=config.max_output_bytes,
            env=config.env,
            cwd=config.cwd,
        )

    async def plan(self, operation: Operation) -> Plan:
        argv = render_argv(operation.command, operation)
        return Plan(
            summary=f"would run {argv[0]} (timeout {self._timeout:g} s)",
            steps=(f"$ {shlex.join(argv)}",),
        )

    async def execute(self, operation: Operation) -> ExecutionResult:
        argv = render_argv(operation.command, operation)
        try:
            process = await asyncio.create_subprocess_exec(
                *argv,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.STDOUT,
                env=self._env,
                cwd=self._cwd,
                start_new_session=True,
            )
        except OSError as exc:
            return ExecutionResult(False, f"could not start {argv[0]}: {exc.strerror or exc}")
        output, truncated, timed_out = await self._collect(process)
        text = output.decode("utf-8", errors="replace")
        if truncated:
            text += f"\n... (output truncated to {self._max_output} bytes)"
        if timed_out:
            return ExecutionResult(False, f"{argv[0]} timed out after {self._timeout:g} s", text)
        code = process.returncode
        if code == 0:
            return ExecutionResult(True, f"{argv[0]} finished successfully", text)
        return ExecutionResult(False, f"{argv[0]} exited with status {code}", text)

    async def _collect(self, process: asyncio.subprocess.Process) -> tuple[bytes, bool, bool]:
        """Read at most ``max_output_bytes`` (draining the rest) until exit or timeout."""
        kept = bytearray()
        truncated = False

        async def read_all() -> None:
            nonlocal truncated
            assert process.stdout is not None
            while chunk := await process.stdout.read(_CHUNK):
                room = self._max_output - len(kept)
                kept.extend(chunk[: max(room, 0)])
                truncated = truncated or len(chunk) > room
            await process.wait()

        try:
            await asyncio.wait_for(read_all(), self._timeout)
        except TimeoutError:
            await _kill(process)
            return bytes(kept), truncated, True
        return bytes(kept), truncated, False


async def _kill(process: asyncio.subprocess.Process) -> None:
    """Kill the runbook and everything it started (its own session/process group)."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    with contextlib.suppress(ProcessLookupError):
        process.kill()
    await process.wait()
