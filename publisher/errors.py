"""One exception root for every user-facing failure; each class carries its exit code.

Exit codes (one contract for every command):
  0  done, including "unchanged" and dry runs
  1  the work failed (Hub error after retries, verification failed, some repos failed in a bulk run)
  2  bad input or usage (invalid manifest, card fails check, missing files, no token, no write access);
     nothing was uploaded
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_BAD_INPUT = 2


class PublisherError(Exception):
    """Root of every error the CLI turns into one clear line and an exit code."""

    exit_code = EXIT_FAILED

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message if not self.hint else f"{self.message}\n  hint: {self.hint}"


class BadInputError(PublisherError):
    """Bad input or usage: the user must change something; nothing was written or uploaded."""

    exit_code = EXIT_BAD_INPUT


class ManifestError(BadInputError):
    """card.json is missing, malformed or invalid; `field` names the offending field."""

    def __init__(self, message: str, *, field: str | None = None, source: str | None = None) -> None:
        self.field = field
        self.source = source
        where = f"{source}: " if source else ""
        text = f"{where}{field}: {message}" if field else f"{where}{message}"
        super().__init__(text)


class TemplateError(BadInputError):
    """A template is missing, or fails to render (e.g. an undefined variable)."""


class CardCheckError(BadInputError):
    """A rendered or given card fails `publisher check`."""


class UnsupportedLayoutError(BadInputError):
    """`parse` met a card layout it does not know; it never guesses."""


class DataError(BadInputError):
    """A tweet archive or data file is malformed, truncated or has too little text."""


class AuthError(BadInputError):
    """No token where one is required, an invalid token, or no write access to the namespace."""


class HubError(PublisherError):
    """The Hub answered with an error after retries (or the connection failed)."""

    def __init__(self, message: str, *, status: int | None = None, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.status = status


class VerificationError(PublisherError):
    """The published model could not be downloaded, loaded or used to generate text."""
