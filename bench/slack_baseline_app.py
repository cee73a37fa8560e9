"""The baseline for ``slack_bench.py``: a bare Bolt ``AsyncApp`` doing the same observable work
as the bot for one slash command: check the signature, acknowledge, and post a one-line
answer to the command's ``response_url``. Served on aiohttp the way Bolt documents
(``app.web_app()``), against the same fake Slack (``SLACK_API_URL``) as the bot.

    python bench/slack_baseline_app.py --port 8090
"""

from __future__ import annotations

import argparse
import logging
import os
from typing import Any

from aiohttp import web
from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient


def build() -> AsyncApp:
    client = AsyncWebClient(
        token=os.environ["SLACK_BOT_TOKEN"], base_url=os.environ["SLACK_API_URL"].rstrip("/") + "/"
    )
    app = AsyncApp(
        client=client,
        signing_secret=os.environ["SLACK_SIGNING_SECRET"],
        logger=logging.getLogger("baseline"),
    )

    @app.command("/ops")
    async def ops(ack: AsyncAck, respond: AsyncRespond, command: dict[str, Any]) -> None:
        await ack()
        await respond(text="Nothing is down: 12 of 12 targets up.", response_type="in_channel")

    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=8090)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    web.run_app(
        build().web_app(path="/slack/events"),
        host="127.0.0.1",
        port=args.port,
        access_log=None,
        print=None,
    )


if __name__ == "__main__":
    main()
