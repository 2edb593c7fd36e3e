"""The ``cel`` package's evaluator without its command line.

``cel``'s own ``__init__`` imports its interactive shell (``cel.cli``: prompt_toolkit and
Pygments' lexers), about 19 MB of a server's memory that no condition ever uses. Importing
``cel`` from here puts a placeholder for ``cel.cli`` in ``sys.modules`` first, so the package
binds the placeholder; the shell is imported for real the first time anything of it is read.
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import Any

_SHELL = "cel.cli"


class _Shell(types.ModuleType):
    """Stands for ``cel.cli`` until one of its names is read."""

    def __getattr__(self, name: str) -> Any:
        if sys.modules.get(_SHELL) is self:
            del sys.modules[_SHELL]
        return getattr(importlib.import_module(_SHELL), name)


if "cel" not in sys.modules:
    sys.modules.setdefault(_SHELL, _Shell(_SHELL))

import cel as cel  # noqa: E402  (after the placeholder)

__all__ = ["cel"]
