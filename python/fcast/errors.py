"""The one base of every error fcast raises for a user to act on; the CLI catches it once.

A subclass keeps its old built-in base as well (LookupError, ValueError, ...) so callers that
catch those keep working. The message says what went wrong and what to do next.
"""

from __future__ import annotations


class FcastError(Exception):
    """An error whose message is meant for the user: printed as `error: <message>`, exit code `exit_code`."""

    exit_code = 1


class UsageError(FcastError):
    """The command was called wrongly (missing or conflicting arguments)."""

    exit_code = 2


class ConfigurationError(FcastError):
    """A setting (environment variable, project folder) is unusable."""


class ProjectNotFoundError(ConfigurationError):
    """No dbt project where fcast looked for one."""


class NotFoundError(FcastError, LookupError):
    """Something named (a run, a game, a dataset, a registry scan, built marts) is not there yet."""

    def __str__(self) -> str:  # a LookupError subclass may be a KeyError: never quote the message
        return str(self.args[0]) if self.args else ""


class UnknownGameError(NotFoundError, KeyError):
    """A game code the games seed does not define (a KeyError too, for lookups that expect one)."""
