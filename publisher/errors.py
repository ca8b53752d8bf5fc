"""One exception root for every user-facing failure; each class carries its exit code.

Exit codes (one contract for every command):
  0  done, including "unchanged" and dry runs
  1  the work failed (Hub error after retries, verification failed, some repos failed in a bulk run)
  2  bad input or usage (invalid manifest, card fails check, missing files, no token, no write access);
     nothing was uploaded

Each class also carries a stable `code` for machine output: `--json` reports a failure as
`{"code", "message", "hint"}` (error_object). The codes are listed by error_codes() and in the README;
a test keeps the two equal.
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_BAD_INPUT = 2


class PublisherError(Exception):
    """The work failed (the root class: every error the CLI turns into one clear line and an exit code)."""

    exit_code = EXIT_FAILED
    code = "failed"

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message if not self.hint else f"{self.message}\n  hint: {self.hint}"

    def as_json(self) -> dict[str, str | None]:
        """The machine form of the error: a stable code, the one-line message and the hint (or null)."""
        return {"code": self.code, "message": self.message, "hint": self.hint}


class BadInputError(PublisherError):
    """Bad input or usage: the user must change something; nothing was written or uploaded."""

    code = "bad_input"
    exit_code = EXIT_BAD_INPUT


class ManifestError(BadInputError):
    """card.json is missing, malformed or invalid; `field` names the offending field."""

    code = "invalid_manifest"

    def __init__(self, message: str, *, field: str | None = None, source: str | None = None) -> None:
        self.field = field
        self.source = source
        where = f"{source}: " if source else ""
        text = f"{where}{field}: {message}" if field else f"{where}{message}"
        super().__init__(text)


class TemplateError(BadInputError):
    """A template is missing, or fails to render (e.g. an undefined variable)."""

    code = "template_error"


class CardCheckError(BadInputError):
    """A rendered or given card fails `publisher check`."""

    code = "card_check_failed"


class UnsupportedLayoutError(BadInputError):
    """`parse` met a card layout it does not know; it never guesses."""

    code = "unsupported_layout"


class DataError(BadInputError):
    """A tweet archive or data file is malformed, truncated or has too little text."""

    code = "bad_data"


class AuthError(BadInputError):
    """No token where one is required, an invalid token, or no write access to the namespace."""

    code = "auth"


class HubError(PublisherError):
    """The Hub answered with an error after retries (or the connection failed)."""

    code = "hub_error"

    def __init__(self, message: str, *, status: int | None = None, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.status = status


class VerificationError(PublisherError):
    """The published model could not be downloaded, loaded or used to generate text."""

    code = "verification_failed"


INTERNAL_ERROR_CODE = "internal"


def error_object(exc: BaseException) -> dict[str, str | None]:
    """`{"code", "message", "hint"}` for any exception: a PublisherError's own code, else "internal"."""
    if isinstance(exc, PublisherError):
        return exc.as_json()
    return {"code": INTERNAL_ERROR_CODE, "message": f"unexpected {type(exc).__name__}: {exc}", "hint": None}


def error_codes() -> dict[str, tuple[int, str]]:
    """Every stable error code -> (exit code, what it means), from the classes above (their docstrings)."""
    classes = [cls for cls in globals().values() if isinstance(cls, type) and issubclass(cls, PublisherError)]
    codes = {cls.code: (cls.exit_code, (cls.__doc__ or "").strip().splitlines()[0]) for cls in classes}
    codes[INTERNAL_ERROR_CODE] = (
        EXIT_FAILED,
        "An unexpected error (a bug): the message names the exception.",
    )
    return codes
