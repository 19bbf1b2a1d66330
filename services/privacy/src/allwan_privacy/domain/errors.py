"""What the rules of a privacy request refuse, one class per rule.

A refusal leaves the request as it was. Handlers log its ``code`` and record nothing: intake
is at-least-once, so a refused (or repeated) command must change nothing and must not be
retried. Messages name the rule, never a value (no personal data reaches a log).
"""

from __future__ import annotations

from typing import ClassVar


class RequestRefused(Exception):
    """A command the request's rules do not allow now."""

    code: ClassVar[str] = "refused"


class UnknownRequest(RequestRefused):
    """No request was received under this id."""

    code = "unknown_request"


class NotTheirRequest(RequestRefused):
    """The command names another customer than the request's (S1)."""

    code = "another_customers_request"


class RequestClosed(RequestRefused):
    """The request is completed, denied or cancelled: nothing changes it any more."""

    code = "request_closed"


class WrongState(RequestRefused):
    """The command belongs to another step of the request's life."""

    code = "wrong_state"


class WorkStarted(RequestRefused):
    """A customer may cancel only before work on the request starts."""

    code = "work_started"


class ConfirmationRefused(RequestRefused):
    """No WhatsApp erasure awaits a confirmation, or the 24 hours to confirm it are over."""

    code = "confirmation_refused"


class ExtensionRefused(RequestRefused):
    """The deadline was extended already, the first deadline has passed, or the extension is
    longer than the law allows."""

    code = "extension_refused"


class AnswerRefused(RequestRefused):
    """An answer from a service the request does not wait for, or of another kind."""

    code = "answer_refused"


class CompletionRefused(RequestRefused):
    """Not every expected service answered, or an access request lacks its export."""

    code = "completion_refused"
