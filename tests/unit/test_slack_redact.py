"""Slack credentials never reach the logs, and response_urls are only Slack's own."""

from __future__ import annotations

import logging

import pytest

from adapters.slack.adapter import retry_count
from adapters.slack.outbound import trusted_response_urls
from adapters.slack.redact import REDACTED, redact, redacting_logger


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ("token: xoxb-1234-5678-abcdEFGH", "xoxb-1234-5678-abcdEFGH"),
        ("app token xapp-1-A0B-123-abcdef", "xapp-1-A0B-123-abcdef"),
        ("body: token=gIkuvaNzQIHg97ATvDxqgjtO&team_id=T1", "gIkuvaNzQIHg97ATvDxqgjtO"),
        ('{"token": "ZZZZZZWSxiZZZ2yIvs3peJ", "x": 1}', "ZZZZZZWSxiZZZ2yIvs3peJ"),
        ("{'token': 'Shh_its_a_seekrit'}", "Shh_its_a_seekrit"),
        ("response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1%2F2%2Fsecret&x=1",
         "secret"),
        ("url: https://hooks.slack.com/commands/T1/397700885554/96rGlfmibIGl", "96rGlfmibIGl"),
        ("url: https://hooks.slack.com/actions/T1/1232321423432/D09sSasdasd", "D09sSasdasd"),
        ("wss://wss-primary.slack.com/link/?ticket=abc-123-def&app_id=A1", "abc-123-def"),
        ("Failed to fetch oauth.v2.access result with code: 1234.5678.abcd - error: x",
         "1234.5678.abcd"),
        ("body: code=1234.5678.abcd&client_secret=s3cr3tvalue", "1234.5678.abcd"),
        ("body: code=1234.5678.abcd&client_secret=s3cr3tvalue", "s3cr3tvalue"),
        ("{'client_secret': 's3cr3tvalue', 'code': '1234.5678.abcd'}", "s3cr3tvalue"),
        ("{'client_secret': 's3cr3tvalue', 'code': '1234.5678.abcd'}", "1234.5678.abcd"),
    ],
)  # fmt: skip
def test_secrets_are_redacted(text: str, secret: str) -> None:
    cleaned = redact(text)
    assert secret not in cleaned
    assert REDACTED in cleaned


def test_ordinary_text_is_left_alone() -> None:
    text = "Responding with status: 200 body: cpu of web-1 (team T0001, channel C0OPS)"
    assert redact(text) == text


def test_redacting_logger_cleans_records_with_arguments(
    caplog: pytest.LogCaptureFixture,
) -> None:
    logger = redacting_logger("tests.slack.redact")
    redacting_logger("tests.slack.redact")  # idempotent: one filter
    assert len(logger.filters) == 1
    with caplog.at_level(logging.INFO, logger="tests.slack.redact"):
        logger.info("calling with %s and %r", "xoxb-1-2-3abc", {"token": "verif"})
    assert "xoxb-1-2-3abc" not in caplog.text
    assert "verif" not in caplog.text


@pytest.mark.parametrize(
    ("url", "trusted"),
    [
        ("https://hooks.slack.com/commands/T1/2/x", True),
        ("https://hooks.slack-gov.com/actions/T1/2/x", True),
        ("http://hooks.slack.com/commands/T1/2/x", False),
        ("https://hooks.slack.com.evil.example/commands/x", False),
        ("https://evilslack.com/commands/x", False),
        ("http://127.0.0.1:9/commands/T1/2/x", True),
        ("http://127.0.0.1:10/commands/T1/2/x", False),
        ("http://169.254.169.254/latest/meta-data", False),
        ("https://hooks.slack.com@evil.example/commands/x", False),
        ("https://hooks.slack.com:443@evil.example/commands/x", False),
        ("http://127.0.0.1:9@169.254.169.254/latest/meta-data", False),
        ("http://127.0.0.1:9\t@169.254.169.254/x", False),
    ],
)
def test_only_slack_and_the_configured_api_origin_are_trusted(url: str, trusted: bool) -> None:
    assert trusted_response_urls("http://127.0.0.1:9/api")(url) is trusted


def test_without_an_api_url_only_slack_is_trusted() -> None:
    assert not trusted_response_urls(None)("http://127.0.0.1:9/commands/x")


@pytest.mark.parametrize(
    ("headers", "count"),
    [({}, 0), ({"x-slack-retry-num": ["2"]}, 2), ({"x-slack-retry-num": ["x"]}, 0)],
)
def test_retry_count_reads_x_slack_retry_num(headers: dict[str, list[str]], count: int) -> None:
    assert retry_count(headers) == count
