"""One small error hierarchy. Each error carries a user-facing message template.

Messages are English templates marked for translation with named placeholders; the CLI prints them
as they are, the GUI translates them before showing a dialog. They never contain report content.
"""

from __future__ import annotations

from typing import Any


def N_(message: str) -> str:
    """Mark a string for extraction without translating it now."""
    return message


class KpfieldError(Exception):
    """Base of every error a user may see. ``exit_code`` is what the CLI returns."""

    exit_code = 2

    def __init__(self, template: str, **params: Any) -> None:
        self.template = template
        self.params = params
        super().__init__(self.message)

    @property
    def message(self) -> str:
        try:
            return self.template.format(**self.params)
        except (KeyError, IndexError, ValueError):
            return self.template

    def translated(self, gettext: Any) -> str:
        """The message in the user's language, via the given ``gettext`` callable."""
        try:
            return str(gettext(self.template)).format(**self.params)
        except (KeyError, IndexError, ValueError):
            return self.message


class UsageError(KpfieldError):
    """The user asked for something that cannot be done as asked (bad argument, missing file)."""


class VaultError(KpfieldError):
    """The vault cannot be opened or used: missing, damaged, foreign, locked."""


class WrongPassphrase(VaultError):
    """The passphrase did not unlock any key slot."""


class VaultLocked(VaultError):
    """Another process has this vault open."""


class ValidationError(KpfieldError):
    """A document or form is invalid; ``problems`` lists (field path, what is wrong)."""

    def __init__(self, template: str, problems: list[tuple[str, str]] | None = None, **params: Any):
        self.problems = problems or []
        super().__init__(template, **params)

    @property
    def message(self) -> str:
        head = super().message
        if not self.problems:
            return head
        return head + "\n" + "\n".join(f"  {field}: {what}" for field, what in self.problems)


class NotFound(KpfieldError):
    """A report, witness or attachment with that id does not exist."""


class StateError(KpfieldError):
    """The action is not allowed in the record's current state (e.g. editing a sealed report)."""


class IntegrityError(KpfieldError):
    """Stored or received data failed verification (hash, signature, chain)."""

    exit_code = 3


class MediaError(KpfieldError):
    """A file offered as a photo cannot be accepted."""


class DuplicateAttachment(MediaError):
    """The same file (same SHA-256) is already attached in this vault; ``same_report`` says
    whether to this very report (never stored twice) or to another one (stored if asked)."""

    def __init__(self, template: str, *, same_report: bool, **params: Any) -> None:
        self.same_report = same_report
        super().__init__(template, **params)


class CryptoError(KpfieldError):
    """A ciphertext, key or signature is malformed or does not verify."""

    exit_code = 3


class BundleError(KpfieldError):
    """A bundle cannot be written or was rejected on import."""

    exit_code = 3


class Cancelled(KpfieldError):
    """A long job was cancelled by the user; nothing was committed."""

    exit_code = 130


class MissingExtra(UsageError):
    """A command needs libraries from an optional dependency group this install does not have."""


_EXTRA_OF_MODULE = {
    **dict.fromkeys(
        ("PySide6", "shiboken6", "sqlcipher3", "PIL", "httpx", "httpcore", "socksio", "fpdf"),
        "desktop",
    ),
    **dict.fromkeys(("starlette", "uvicorn"), "relay"),
    **dict.fromkeys(("psycopg", "psycopg_pool", "boto3", "botocore"), "relay-scale"),
}
"""Top-level modules of each optional dependency group in pyproject.toml."""


def missing_extra(exc: ImportError) -> MissingExtra | None:
    """The error naming the extra to install when ``exc`` is a missing optional dependency."""
    if not isinstance(exc, ModuleNotFoundError) or not exc.name:
        return None
    module = exc.name.partition(".")[0]
    extra = _EXTRA_OF_MODULE.get(module)
    if extra is None:
        return None
    return MissingExtra(
        N_(
            "This command needs the '{extra}' libraries, which this installation does not have "
            "({module} is missing). Install them with: pip install 'kpfield[{extra}]'"
        ),
        extra=extra,
        module=module,
    )
