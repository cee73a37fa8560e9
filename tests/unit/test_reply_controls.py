"""Menus and forms: platform-neutral controls that end in a command sent as their user."""

from __future__ import annotations

import pytest

from bot.core.model import Choice, Form, Menu, Reply


def test_a_form_puts_the_typed_text_on_one_line_in_its_command() -> None:
    form = Form("Add reason", "Why restart?", "Reason", "reason 12 {text}", max_length=20)
    assert form.filled("  the pods\n are   stuck ") == "reason 12 the pods are stuck"
    assert form.filled("x" * 50) == "reason 12 " + "x" * 20
    assert form.hint == "reason 12 <text>"


def test_a_form_without_a_place_for_the_text_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="placeholder"):
        Form("Add reason", "Why?", "Reason", "reason 12")


def test_plain_text_lists_what_a_menu_offers_and_what_to_type_for_a_form() -> None:
    reply = Reply(
        "Firing: HighLatency",
        menus=(
            Menu(
                "Silence for...",
                (
                    Choice("30 min", "silence HighLatency for 30m"),
                    Choice("1 day", "silence HighLatency for 1d"),
                ),
            ),
        ),
        forms=(Form("Add reason", "Why?", "Reason", "reason 12 {text}"),),
    )
    text = reply.plain_text()
    assert "Silence for...: silence HighLatency for 30m | silence HighLatency for 1d" in text
    assert "[Add reason] -> reason 12 <text>" in text
