"""The ``smartcloudops`` command line (see CONTRACT.md): chat, serve, parse, detect, migrate.

An operator's mistake (bad configuration, a taken or impossible port, an unreachable
database) is one line on stderr and an exit status, never a traceback; Ctrl-C exits at once
with status 130. The log goes to stderr, one line per event, as JSON for ``serve`` and as text
for the other commands unless ``log_format`` says otherwise (:mod:`bot.app.logs`). In ``chat``
it is at WARNING (DEBUG with ``-v``), whatever ``log_level`` says, so it stays out of the
conversation on stdout.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import signal
import sys
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from bot.core.errors import ConfigError, DependencyError

if TYPE_CHECKING:  # bot.app.config loads pydantic: parse and detect start faster without it
    from bot.app.config import Settings

log = logging.getLogger("smartcloudops")
HISTORY_LIMIT = 10
"""Turns ``parse`` keeps for follow-ups: the bot's default ``history_limit``."""

#: The exit status of a command interrupted with Ctrl-C (128 + SIGINT), as shells report it.
INTERRUPTED = 130
#: The exit status when the reader of stdout went away (128 + SIGPIPE).
BROKEN_PIPE = 141


def main(argv: Sequence[str] | None = None) -> int:
    args = _arguments().parse_args(argv)
    _configure_logging(args.verbose)
    try:
        return _command(args)
    except KeyboardInterrupt:
        print(file=sys.stderr)
        return INTERRUPTED
    except BrokenPipeError:
        # "smartcloudops parse ... | head": the reader left. Python would print a traceback
        # while flushing stdout at exit unless stdout is pointed elsewhere first.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return BROKEN_PIPE


def _command(args: argparse.Namespace) -> int:
    if args.command == "detect":
        return _detect(args.input, args.output)
    if args.command == "parse":
        return _parse(args.text)
    from bot.app.config import load_settings

    try:
        settings = load_settings()
        _configure_log(args, settings)
        return _run(args, settings)
    except ConfigError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2
    except DependencyError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 1


def _configure_log(args: argparse.Namespace, settings: Settings) -> None:
    """Level: ``-v``: DEBUG; ``chat``: WARNING (a conversation, not a server log); else the
    file's. Form: the file's ``log_format`` (``auto``: JSON for ``serve``)."""
    from bot.app.logs import configure_logging, resolve_format

    if args.verbose:
        level: int | str = logging.DEBUG
    elif args.command == "chat":
        level = logging.WARNING
    else:
        level = settings.file.log_level
    configure_logging(resolve_format(settings.file.log_format, args.command), level)


def _run(args: argparse.Namespace, settings: Settings) -> int:
    if args.command == "chat":
        if args.c is None and sys.stdin.isatty():
            # A person at a terminal: Ctrl-C leaves, even when the shell that started us
            # ignores SIGINT (a background job of a script, nohup) and we inherited that.
            signal.signal(signal.SIGINT, signal.default_int_handler)
        return asyncio.run(_chat(settings, args.c))
    if args.command == "serve":
        return _serve(settings, args.port)
    if args.command == "migrate":
        return _migrate(settings)
    return 2


class _Parser(argparse.ArgumentParser):
    """argparse with its errors on one line (usage is one ``--help`` away)."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _port_number(raw: str) -> int:
    """``--port``: a TCP port, 0 meaning any free one."""
    try:
        port = int(raw)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a port number, got {raw!r}") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"must be 0-65535 (0: any free port), got {port}")
    return port


class _FlagAction(argparse.Action):
    """A flag that takes no value and does its work when given (``__call__``), so what it
    needs is imported only when asked."""

    def __init__(self, option_strings: Sequence[str], dest: str, **kwargs: Any) -> None:
        kwargs.update(nargs=0, default=argparse.SUPPRESS)
        super().__init__(option_strings, dest, **kwargs)


class _Version(_FlagAction):
    """``--version``: the installed package's version on stdout, exit 0. Read only when asked
    (importing importlib.metadata costs ``parse`` ~50 ms), so not argparse's eager version."""

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: str | Sequence[Any] | None,
        option_string: str | None = None,
    ) -> NoReturn:
        from bot.app.version import UNKNOWN, installed_version

        installed = installed_version()
        if installed == UNKNOWN:  # run from a source tree that was never pip-installed
            installed = "unknown (not installed)"
        print(f"{parser.prog} {installed}")
        parser.exit(0)


class _DetectHelp(_FlagAction):
    """``detect --help``: the input/output contract and the treatment of odd input
    (:data:`ml.anomaly.detect_cli.HELP`). Read only when asked: importing the detector costs
    every other command ~100 ms of numpy and ml.anomaly."""

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: str | Sequence[Any] | None,
        option_string: str | None = None,
    ) -> NoReturn:
        from ml.anomaly.detect_cli import HELP

        parser.description = HELP
        parser.formatter_class = argparse.RawDescriptionHelpFormatter
        parser.print_help()
        parser.exit(0)


def _arguments() -> argparse.ArgumentParser:
    parser = _Parser(prog="smartcloudops", description="Chat-first operations assistant.")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    parser.add_argument("--version", action=_Version, help="print the version and exit")
    sub = parser.add_subparsers(dest="command", required=True)
    chat = sub.add_parser("chat", help="console chat on the embedded defaults")
    chat.add_argument("-c", metavar="TEXT", help="send one message, print the reply, exit")
    serve = sub.add_parser("serve", help="run the bot server (adapters, webhooks, health)")
    serve.add_argument(
        "--port", type=_port_number, help="listen port (default: PORT or 8080; 0: any free one)"
    )
    parse = sub.add_parser("parse", help="print the intent of TEXT (or of each stdin line)")
    parse.add_argument("text", nargs="?", help="message text; omit to read stdin")
    detect = sub.add_parser(
        "detect", help="causal anomaly scoring of a timestamp,value CSV", add_help=False
    )
    detect.add_argument("-h", "--help", action=_DetectHelp, help="the input and output contract")
    detect.add_argument("input", metavar="IN.csv", help="CSV with timestamp,value columns")
    detect.add_argument("-o", "--output", metavar="OUT.csv", help="default: stdout")
    sub.add_parser("migrate", help="create or upgrade the database schema")
    return parser


def _configure_logging(verbose: bool) -> None:
    """Text at WARNING until the configuration says more (``parse`` and ``detect`` read none)."""
    from bot.app.logs import configure_logging

    configure_logging("text", logging.DEBUG if verbose else logging.WARNING)


async def _chat(settings: Settings, text: str | None) -> int:
    from adapters.console import ConsoleChat, ConsoleRenderer
    from bot.app.services import open_services

    async with open_services(settings) as services:
        renderer = ConsoleRenderer(Path(settings.file.chart_dir))
        chat = ConsoleChat(services.dispatcher.handle, renderer, sys.stdout)
        if text is not None:
            await chat.send(text)
            return 0
        await chat.run(sys.stdin, interactive=sys.stdin.isatty())
    return 0


def _parse(text: str | None) -> int:
    """Exactly the bot's parser and conversation memory, over one in-memory conversation."""
    try:
        return asyncio.run(_parse_lines([text] if text is not None else sys.stdin))
    except ConfigError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2


async def _parse_lines(lines: Iterable[str]) -> int:
    from bot.app.parsing import build_configured_parser
    from bot.core.dispatcher import Dispatcher
    from bot.core.model import IncomingMessage
    from bot.core.registry import Registry
    from bot.core.telemetry import Telemetry
    from storage.memory import InMemoryContextStore

    context = InMemoryContextStore(ttl_seconds=86400, max_turns=HISTORY_LIMIT)
    dispatcher = Dispatcher(
        build_configured_parser(), context, Registry(), Telemetry(), history_limit=HISTORY_LIMIT
    )
    for line in lines:
        message = IncomingMessage("cli", "local", "parse", "local", "local", line.rstrip("\n"))
        at = time.time()
        intent, _ = await dispatcher.parse(message, at)
        print(json.dumps(intent.to_json(), ensure_ascii=False), flush=True)
        await dispatcher.remember(message, intent, at)
    return 0


def _detect(in_path: str, out_path: str | None) -> int:
    from ml.anomaly.detect_cli import run_detect

    return run_detect(in_path, out_path)


def _serve(settings: Settings, port: int | None) -> int:
    from bot.app.runtime import ListenError, serve

    try:
        asyncio.run(serve(settings, settings.port if port is None else port))
    except ListenError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


def _migrate(settings: Settings) -> int:
    from storage.migrations import upgrade

    upgrade(settings.database_url, timeouts=settings.file.database)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
