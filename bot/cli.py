"""The ``smartcloudops`` command line (see CONTRACT.md): chat, serve, parse, detect, migrate."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path

from bot.config import Settings, load_settings
from bot.errors import ConfigError, DependencyError

log = logging.getLogger("smartcloudops")

def main(argv: Sequence[str] | None = None) -> int:
    args = _arguments().parse_args(argv)
    _configure_logging(args.verbose)
    if args.command == "parse":
        return _parse(args.text)
    if args.command == "detect":
        return _detect(args.input, args.output)
    try:
        settings = load_settings()
    except ConfigError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2
    logging.getLogger().setLevel((args.verbose and logging.DEBUG) or settings.file.log_level)
    try:
        return _run(args, settings)
    except ConfigError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2
    except DependencyError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 1


def _run(args: argparse.Namespace, settings: Settings) -> int:
    if args.command == "chat":
        return asyncio.run(_chat(settings, args.c))
    if args.command == "serve":
        return _serve(settings, args.port)
    if args.command == "migrate":
        return _migrate(settings)
    return 2


def _arguments() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="smartcloudops", description="Chat-first operations assistant."
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", required=True)
    chat = sub.add_parser("chat", help="console chat on the embedded defaults")
    chat.add_argument("-c", metavar="TEXT", help="send one message, print the reply, exit")
    serve = sub.add_parser("serve", help="run the bot server (adapters, webhooks, health)")
    serve.add_argument("--port", type=int, help="listen port (default: PORT or 8080)")
    parse = sub.add_parser("parse", help="print the intent of TEXT (or of each stdin line)")
    parse.add_argument("text", nargs="?", help="message text; omit to read stdin")
    from ml.anomaly.detect_cli import HELP, add_arguments

    detect = sub.add_parser(
        "detect",
        help="causal anomaly scoring of a timestamp,value CSV",
        description=HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_arguments(detect)
    sub.add_parser("migrate", help="create or upgrade the database schema")
    return parser


def _configure_logging(verbose: bool) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )


async def _chat(settings: Settings, text: str | None) -> int:
    from adapters.console import ConsoleChat, ConsoleRenderer
    from bot.app import open_services

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
    return asyncio.run(_parse_lines([text] if text is not None else sys.stdin))


async def _parse_lines(lines: Iterable[str]) -> int:
    from bot.app import build_parser
    from bot.conversation import ConversationMemory
    from bot.model import ConversationKey
    from bot.telemetry import Telemetry
    from storage.memory import InMemoryContextStore

    parser = build_parser()
    memory = ConversationMemory(
        InMemoryContextStore(ttl_seconds=86400, max_turns=10), Telemetry(), history_limit=10
    )
    key = ConversationKey("cli", "local", "parse", "local")
    for line in lines:
        history, _ = await memory.history(key)
        intent = parser.parse(line.rstrip("\n"), history)
        print(json.dumps(intent.to_json(), ensure_ascii=False), flush=True)
        await memory.remember(key, intent)
    return 0


def _detect(in_path: str, out_path: str | None) -> int:
    from ml.anomaly.detect_cli import run_detect

    return run_detect(in_path, out_path)


def _serve(settings: Settings, port: int | None) -> int:
    from bot.runtime import serve

    asyncio.run(serve(settings, port or settings.port))
    return 0


def _migrate(settings: Settings) -> int:
    from storage.migrations import upgrade

    upgrade(settings)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
