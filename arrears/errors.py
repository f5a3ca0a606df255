"""Domain errors shared by every app. A Conflict is a request that is well-formed but not
allowed in the record's current state (an illegal transition): HTTP 409 in the API, a
message on the page."""

from __future__ import annotations


class Conflict(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
