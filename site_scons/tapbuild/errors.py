"""The one exception type of the project's Python code."""


class TapError(Exception):
    """A failure the user can act on.

    The message is one line: what was wrong, and what is accepted. It never contains a
    secret (password, PIN).
    """
