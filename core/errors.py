"""Domain errors raised by services; the portal and the API turn them into messages."""

from django.utils.translation import gettext_lazy as _


class DomainError(Exception):
    """A rule of the domain refused the operation; `message` is translated and shown to the user."""

    code = "domain_error"

    def __init__(self, message: str | None = None, *, code: str | None = None) -> None:
        self.message = str(message) if message is not None else str(_("Opération refusée."))
        if code:
            self.code = code
        super().__init__(self.message)


class InvalidTransition(DomainError):
    """The object is not in a state from which this transition may start."""

    code = "invalid_transition"


class AccessRefused(DomainError):
    """The person may not do this as who they are now (e.g. without their second factor):
    a 403 at the API, a message in the portal."""

    code = "access_refused"
