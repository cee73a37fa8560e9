"""Code spans in reply text: split for renderers without inline code, never lossy."""

from __future__ import annotations

import pytest

from bot.core.markup import code_spans, quote_code


@pytest.mark.parametrize(
    ("text", "parts"),
    [
        ("plain", [("plain", False)]),
        ("", [("", False)]),
        ("Try `status web-2`.", [("Try ", False), ("status web-2", True), (".", False)]),
        ("`a` and `b`", [("a", True), (" and ", False), ("b", True)]),
        ("a lone ` stays", [("a lone ` stays", False)]),
        ("``", [("``", False)]),
        ("`x\ny`", [("`x\ny`", False)]),
    ],
)
def test_code_spans_split_and_rejoin(text: str, parts: list[tuple[str, bool]]) -> None:
    assert code_spans(text) == parts
    assert "".join(f"`{p}`" if code else p for p, code in parts) == text


def test_quote_code_quotes_only_spans() -> None:
    assert quote_code("Say `approve 12` or `deny 12`; a ` alone") == (
        'Say "approve 12" or "deny 12"; a ` alone'
    )
