"""Page fixtures shared with the other surface's tests."""

from tests.support.web import agent, app, browser  # noqa: F401
