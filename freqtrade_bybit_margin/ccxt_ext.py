"""Placeholder: replaced by the switch_margin_mode extension."""

from typing import Any


def install(exchange: Any) -> Any:
    raise NotImplementedError


def switch_margin_mode(exchange: Any, *args: Any) -> Any:
    raise NotImplementedError


async def switch_margin_mode_async(exchange: Any, *args: Any) -> Any:
    raise NotImplementedError
