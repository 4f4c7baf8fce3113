"""The errors wlsim reports to its users, and the helper that suggests a close name.

Every module raises these for a user's mistake (a bad scenario value, a data file that
does not fit, a missing package); the CLI prints their message without a traceback.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class ScenarioError(ValueError):
    """A scenario, data file or command-line option that wlsim cannot use.

    The message names where the problem is (file, field, row, value) and how to fix it.
    """


class MissingDependencyError(ImportError):
    """A package wlsim needs is not installed; the message says what to install."""


def did_you_mean(word: str, choices: Iterable[str], cutoff: float = 0.6, n: int = 1) -> str:
    """A ``" (did you mean 'x'?)"`` hint naming the closest choice, or ``""``.

    Args:
        word: What the user wrote.
        choices: The valid names.
        cutoff: Least similarity (0-1, :func:`difflib.get_close_matches`) for a hint.
        n: Most choices to name, closest first: ``" (did you mean 'a', 'b' or 'c'?)"``.

    Returns:
        The hint, with a leading space, or ``""`` when no choice is close enough.
    """
    close = [repr(c) for c in difflib.get_close_matches(word, list(choices), n=n, cutoff=cutoff)]
    if not close:
        return ""
    named = close[0] if len(close) == 1 else f"{', '.join(close[:-1])} or {close[-1]}"
    return f" (did you mean {named}?)"
