"""Gmail's error answers, raised anywhere in the Gmail sandbox and turned into Google's error body."""

from __future__ import annotations

from starlette.responses import Response

from sandbox.common import google_error

__all__ = ["ApiError", "not_found"]


class ApiError(Exception):
    """An error answer; raised anywhere in a handler and turned into Google's error body."""

    def __init__(self, code: int, message: str, reason: str | None = None) -> None:
        super().__init__(message)
        self.response: Response = google_error(code, message, reason)

    @classmethod
    def of(cls, response: Response) -> ApiError:
        """Wrap a ready-made error response."""
        error = cls(response.status_code, "")
        error.response = response
        return error


def not_found() -> ApiError:
    """Gmail's 404 for an unknown message, thread, draft or label."""
    return ApiError(404, "Requested entity was not found.", "notFound")
