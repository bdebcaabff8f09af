"""Errors of the designer's services, each with a stable code."""

from __future__ import annotations

from typing import Any


class DesignerError(Exception):
    """Root of the designer's errors."""

    code = "designer_error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidDocument(DesignerError):
    """The document breaks the document schema, a node's config schema or a graph rule."""

    code = "invalid_document"

    def __init__(self, issues: list[dict[str, Any]]) -> None:
        super().__init__(f"the workflow has {len(issues)} problem(s)")
        self.issues = issues


class StaleVersion(DesignerError):
    """Someone saved a newer version since the editor loaded the one it started from."""

    code = "stale"

    def __init__(self, latest: Any) -> None:
        super().__init__(f"version {latest.number} was saved meanwhile")
        self.latest = latest


class InvalidImport(DesignerError):
    """An imported file is not a Ledgerline workflow export."""

    code = "invalid_import"


class InvalidConnectionChoice(DesignerError):
    """A connection chosen for a template's nodes is not one of the organisation's, of that kind."""

    code = "invalid_connection"

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind
