"""Helpers shared by the visible tests and their conftest (not part of the exercise)."""

from __future__ import annotations

NOT_IMPLEMENTED_PREFIX = "not implemented yet: "


class CheckFailed(AssertionError):
    """A visible check failed; its message is the whole feedback line."""


class ImplImportError(Exception):
    """The implementation file could not be imported."""


def expect(condition: bool, function: str, expected: str, got: str, hint: str) -> None:
    """Fail with one line: the function, what was expected, what was got, a hint."""
    if not condition:
        raise CheckFailed(f"{function}: expected {expected}, got {got}. Hint: {hint}")


def shape(value) -> str:
    """A readable description of what a function returned, for feedback lines."""
    if hasattr(value, "shape") and hasattr(value, "dtype"):
        return f"a {str(value.dtype).replace('torch.', '')} tensor of shape {tuple(value.shape)}"
    if value is None:
        return "None (did you forget to return?)"
    return f"a {type(value).__name__}"
