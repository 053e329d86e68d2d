"""The layout the README describes: each folder one part, dependencies one way, and freqtrade's
internals reached from one module only."""

from __future__ import annotations

import ast
import functools
from pathlib import Path

import pytest

import freqtrade_bybit_margin


PACKAGE = Path(freqtrade_bybit_margin.__file__).parent
VOCABULARY = {"constants", "model", "errors"}
#: What each part may import from the package (besides itself), every import counted, lazy ones
#: inside functions too. The package root's lazy re-exports are its public face, not a part.
ALLOWED: dict[str, set[str]] = {
    "vocabulary": {"redact"},
    "redact": set(),  # a leaf every part may import: credentials masked in any text
    "markets": {"vocabulary", "redact"},
    "config": {"vocabulary", "markets", "redact"},
    "compat": {"redact"},
    "client": {"vocabulary", "markets", "redact"},
    "service": {"vocabulary", "markets", "client", "redact"},
    "report": {"vocabulary", "markets", "redact"},
    "console": {"vocabulary", "redact"},
    "bot": {"vocabulary", "markets", "config", "compat", "client", "service", "report", "redact"},
    "simulator": {"vocabulary", "redact"},
    "demo": {"vocabulary", "markets", "config", "report", "console", "simulator", "redact"},
    "cli": {
        *("vocabulary", "markets", "config", "compat", "client", "service"),
        *("report", "console", "demo", "simulator", "redact"),
    },
    "main": {"cli", "redact"},
}


def part_of(module: str) -> str:
    """``freqtrade_bybit_margin.service.engine`` -> ``service``; vocabulary modules as one."""
    name = module.split(".")[1] if "." in module else "root"
    if name in VOCABULARY:
        return "vocabulary"
    return {"__main__": "main"}.get(name, name)


@functools.cache
def parsed(path: Path) -> ast.Module:
    """``path``'s syntax tree, parsed once per process.

    Some CPython releases (3.11.7 among them) may raise ``SystemError: AST constructor
    recursion depth mismatch`` when another thread builds syntax trees at the same moment
    (python/cpython#106905): parsed again then.
    """
    for attempt in range(3):
        try:
            return ast.parse(path.read_text())
        except SystemError:
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def imports(path: Path) -> set[str]:
    """Every ``freqtrade_bybit_margin...`` module ``path`` imports, at any depth."""
    found = set()
    for node in ast.walk(parsed(path)):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {name for name in found if name.startswith("freqtrade_bybit_margin.")}


MODULES = sorted(p for p in PACKAGE.rglob("*.py") if p != PACKAGE / "__init__.py")


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_dependencies_run_one_way(path: Path) -> None:
    module = ".".join(("freqtrade_bybit_margin", *path.relative_to(PACKAGE).with_suffix("").parts))
    source = part_of(module)
    wrong = sorted(
        name
        for name in imports(path)
        if part_of(name) not in {source, *ALLOWED[source]} and name != "freqtrade_bybit_margin"
    )
    assert wrong == [], f"{source} may import {sorted(ALLOWED[source])}"


#: freqtrade's private attributes the plugin uses (the bot's Exchange, its ccxt client, the
#: per-order margin calls, the leverage-tier cache).
FREQTRADE_PRIVATE = {"_exchange", "_api", "_lev_prep", "_leverage_tiers"}


def reaches_in(path: Path) -> bool:
    """Code (not prose) in ``path`` that touches one of :data:`FREQTRADE_PRIVATE` on another
    object: ``x._api``, ``getattr(x, "_api")`` (a module's own ``self._exchange`` is its own)."""
    for node in ast.walk(parsed(path)):
        own = isinstance(node, ast.Attribute) and _is_self(node.value)
        if isinstance(node, ast.Attribute) and node.attr in FREQTRADE_PRIVATE and not own:
            return True
        if isinstance(node, ast.Constant) and node.value in FREQTRADE_PRIVATE:
            return True
    return False


def _is_self(node: ast.expr) -> bool:
    return isinstance(node, ast.Name) and node.id == "self"


def test_only_the_internals_module_touches_freqtrades_internals() -> None:
    reaching = sorted(str(path.relative_to(PACKAGE)) for path in MODULES if reaches_in(path))
    assert reaching == ["bot/internals.py"]
