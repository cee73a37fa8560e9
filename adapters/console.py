"""The console adapter: a local chat on stdin/stdout.

Renders the core's structured reply as readable text and saves chart images to files it
names. Interactive on a terminal; otherwise each input line is one message of one
conversation and each reply is printed.

The console user is the operating-system account running the process (``console:<name>`` in
the remediation policy), looked up from the real user id. ``$USER`` and ``$LOGNAME`` are
not consulted: anyone can set them, and "USER=bob smartcloudops chat" once let one person
approve their own request as bob.
"""

from __future__ import annotations

import asyncio
import codecs
import contextlib
import dataclasses
import os
import pwd
import re
import signal
import socket
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

from bot.core.formatting import render_table
from bot.core.markup import quote_code
from bot.core.model import Choice, IncomingMessage, Reply, Severity
from bot.core.responder import WORKING_ON_IT, Handle, Responder

PLACEHOLDER_AFTER_SECONDS = 1.0
_SEVERITY_MARK = {
    Severity.INFO: "",
    Severity.SUCCESS: "[ok] ",
    Severity.WARNING: "[!] ",
    Severity.CRITICAL: "[!!] ",
    Severity.ERROR: "[error] ",
}
_UNSAFE_FILENAME = re.compile(r"[^A-Za-z0-9._-]+")
_CHART_NUMBER = re.compile(r"(\d+)-")


class ConsoleRenderer:
    """Turns a :class:`Reply` into text; writes each chart to ``chart_dir``."""

    def __init__(self, chart_dir: Path) -> None:
        self._chart_dir = chart_dir
        self._counter: int | None = None

    def render(self, reply: Reply) -> str:
        lines: list[str] = [quote_code(reply.echo_line)] if reply.echo_line else []
        head = reply.title or ""
        mark = _SEVERITY_MARK[reply.severity]
        if head:
            lines.append(f"{mark}{head}")
            mark = ""
        if reply.text:
            lines.append(f"{mark}{quote_code(reply.text)}")
        if reply.fields:
            width = max(len(f.label) for f in reply.fields)
            lines.extend(f"  {f.label.ljust(width)}  {quote_code(f.value)}" for f in reply.fields)
        if reply.table is not None:
            lines.append(render_table(reply.table))
        if reply.code:
            lines.append("\n".join(f"    {line}" for line in reply.code.splitlines()))
        lines.extend(f"  chart: {self._save(c.filename, c.png)}" for c in reply.charts)
        if reply.choices:
            lines.append("  options: " + " | ".join(f'"{c.command}"' for c in reply.choices))
        for menu in reply.menus:
            lines.append(f"  {_lead(menu.label)} say " + _alternatives(menu.options))
        lines.extend(f'  {form.label}: say "{form.hint}"' for form in reply.forms)
        if reply.shown_footer:
            lines.append(f"  ({quote_code(reply.shown_footer)})")
        return "\n".join(lines)

    def _save(self, filename: str, png: bytes) -> str:
        """Write ``png`` as the next numbered file. Numbering continues after the files an
        earlier session left, and a name that exists anyway (another session writing at the
        same time) is skipped, so a chart never overwrites another."""
        self._chart_dir.mkdir(parents=True, exist_ok=True)
        if self._counter is None:
            self._counter = _last_number(self._chart_dir)
        safe = _UNSAFE_FILENAME.sub("-", filename).strip("-.") or "chart.png"
        while True:
            self._counter += 1
            path = self._chart_dir / f"{self._counter:03d}-{safe}"
            try:
                with path.open("xb") as out:
                    out.write(png)
            except FileExistsError:
                continue
            return str(path)


def _lead(label: str) -> str:
    """ "Which target?" and "Silence for..." lead on as they are; anything else gets a colon."""
    return label if label.endswith(("?", ".", ":")) else f"{label}:"


def _alternatives(options: tuple[Choice, ...]) -> str:
    return " | ".join(f'"{o.command}"' for o in options)


def _last_number(directory: Path) -> int:
    """The highest ``NNN-`` prefix among the files in ``directory`` (0: none)."""
    numbers = (_CHART_NUMBER.match(entry.name) for entry in directory.iterdir())
    return max((int(m.group(1)) for m in numbers if m), default=0)


_QUIT_WORDS = frozenset({"quit", "exit", ":q", "bye", "q", "logout"})
"""What leaves an interactive console (besides Ctrl-D and Ctrl-C)."""


class ConsoleChat:
    """One console conversation: reads lines, sends them to the core, prints replies."""

    def __init__(self, handle: Handle, renderer: ConsoleRenderer, out: TextIO) -> None:
        self._responder = Responder(handle, placeholder_after=PLACEHOLDER_AFTER_SECONDS)
        self._outbox = ConsoleOutbox(renderer, out)
        self._out = out
        user = local_user()
        self._template = IncomingMessage(
            platform="console", team_id="local", channel_id="console",
            user_id=user, user_name=user, text="", is_direct=True, tenant_id="local",
        )  # fmt: skip

    async def send(self, text: str) -> Reply | None:
        """Answer one message and print it (with a placeholder if it is slow). Returns what
        was printed: the answer, or an apology quoting a ref if answering failed."""
        message = dataclasses.replace(self._template, text=text)
        return await self._responder.respond(message, self._outbox)

    async def run(self, stream: TextIO, *, interactive: bool) -> None:
        """Read messages until EOF (or `quit` when interactive)."""
        if interactive:
            self._out.write("SmartCloudOps console. Type `help`, or `quit` to leave.\n")
        if stream is sys.stdin:
            with _woken_by_signals():
                await self._read(StdinLines(), interactive=interactive)
        else:
            await self._read(_StreamLines(stream), interactive=interactive)

    async def _read(self, lines: StdinLines | _StreamLines, *, interactive: bool) -> None:
        while True:
            if interactive:
                self._out.write("you> ")
                self._out.flush()
            line = await lines.readline()
            if line is None:
                return
            text = line.strip()
            if not text:
                continue
            if interactive and text.lower().rstrip("!.") in _QUIT_WORDS:
                return
            await self.send(text)


class ConsoleOutbox:
    """Prints to ``out``: a placeholder line, then the answer below it (a terminal cannot
    edit what it printed)."""

    def __init__(self, renderer: ConsoleRenderer, out: TextIO) -> None:
        self._renderer = renderer
        self._out = out

    async def acknowledge(self) -> None:
        """The console waits as long as it takes."""

    async def placeholder(self) -> None:
        self._print(f"  {WORKING_ON_IT}")

    async def deliver(self, reply: Reply) -> None:
        self._print(self._renderer.render(reply))

    async def replace(self, reply: Reply) -> None:
        await self.deliver(reply)

    async def apologise(self, text: str) -> None:
        self._print(f"{_SEVERITY_MARK[Severity.ERROR]}{text}")

    def _print(self, text: str) -> None:
        self._out.write(text + "\n")
        self._out.flush()


@contextlib.contextmanager
def _woken_by_signals() -> Iterator[None]:
    """Wake the event loop when a signal arrives, so Ctrl-C at the prompt is seen at once.

    Python runs a signal's handler between bytecodes of the main thread. A Ctrl-C landing
    just before the loop went to sleep in ``select()`` with nothing scheduled was left
    pending there for good (about 1 in 25 in a test that presses it right at the prompt);
    with a wakeup fd the signal itself writes a byte that ``select()`` sees. Only in the main
    thread (the only one that may set it); elsewhere nothing changes."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    loop = asyncio.get_running_loop()
    reader, writer = socket.socketpair()
    reader.setblocking(False)
    writer.setblocking(False)
    previous = signal.set_wakeup_fd(writer.fileno(), warn_on_full_buffer=False)
    loop.add_reader(reader.fileno(), _drain, reader)
    try:
        yield
    finally:
        signal.set_wakeup_fd(previous)
        loop.remove_reader(reader.fileno())
        reader.close()
        writer.close()


def _drain(reader: socket.socket) -> None:
    with contextlib.suppress(OSError):
        reader.recv(4096)


class _StreamLines:
    """Lines of an in-memory or file stream (tests, ``chat < file``)."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    async def readline(self) -> str | None:
        line = await asyncio.to_thread(self._stream.readline)
        return line or None


class StdinLines:
    """Lines of standard input, read by a daemon thread straight from file descriptor 0.

    Not ``asyncio.to_thread(input)``: a thread blocked in ``input()`` cannot be interrupted,
    so on Ctrl-C ``asyncio.run`` waited for it (until Enter) before exiting, and then showed
    a traceback. A daemon thread does not hold up the exit, and reading the raw descriptor
    with ``os.read`` takes no lock of ``sys.stdin`` that interpreter shutdown would wait on.
    """

    def __init__(self, fd: int = 0) -> None:
        self._fd = fd
        self._lines: asyncio.Queue[str | None] = asyncio.Queue()
        self._loop = asyncio.get_running_loop()
        threading.Thread(target=self._pump, name="console-stdin", daemon=True).start()

    async def readline(self) -> str | None:
        """The next line (with its newline), or None at end of input."""
        return await self._lines.get()

    def _pump(self) -> None:
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        pending = ""
        while chunk := self._read():
            *lines, pending = (pending + decoder.decode(chunk)).split("\n")
            for line in lines:
                self._put(line + "\n")
        tail = pending + decoder.decode(b"", final=True)
        if tail:
            self._put(tail)
        self._put(None)

    def _read(self) -> bytes:
        try:
            return os.read(self._fd, 65536)
        except OSError:
            return b""

    def _put(self, line: str | None) -> None:
        with contextlib.suppress(RuntimeError):  # the loop is gone: nobody is reading
            self._loop.call_soon_threadsafe(self._lines.put_nowait, line)


def local_user() -> str:
    """The name of the account this process runs as (its real user id), or the id itself
    when the account has no passwd entry (e.g. a container started with an arbitrary uid)."""
    uid = os.getuid()
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)
