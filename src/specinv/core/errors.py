"""Exceptions and warnings shared by the whole toolkit.

A :class:`SpecinvError` is a *user* mistake (bad file, bad parameter): the CLI
prints its message alone and exits with code 2, never a traceback.
"""

from __future__ import annotations


class SpecinvError(Exception):
    """Base class of every error caused by user input or parameters."""


class InputError(SpecinvError, ValueError):
    """Malformed input data.

    Parameters
    ----------
    message : str
        What is wrong and what was expected.
    source : str, optional
        File (or array) name the problem was found in; prefixed to the message.
    """

    def __init__(self, message: str, source: str | None = None) -> None:
        self.source = source
        super().__init__(f"{source}: {message}" if source else message)


class ParameterError(SpecinvError, ValueError):
    """An invalid parameter value (names the parameter and the expected range)."""


class IllConditionedWarning(UserWarning):
    """The linear problem is so ill-conditioned that the answer is noise-dominated.

    Emitted instead of silently returning an amplified-noise solution.
    """


class ConvergenceWarning(UserWarning):
    """An iterative solver stopped before reaching its tolerance."""
