"""Optional dependencies: import one on use, or say which extra installs it."""

from __future__ import annotations

import importlib
from types import ModuleType

from optimizer.errors import UsageError

__all__ = ["optional_module"]


def optional_module(name: str, purpose: str, extra: str = "geodata") -> ModuleType:
    """Import ``name``; a missing package is a :class:`UsageError` naming the extra to install."""
    try:
        return importlib.import_module(name)
    except ImportError:
        raise UsageError(f"medalloc needs the package '{name}' to {purpose}; install it with "
                         f"pip install 'medalloc[{extra}]' (or pip install {name})") from None
