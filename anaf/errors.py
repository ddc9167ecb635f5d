"""Errors raised by the code that talks to ANAF, for the rest of the product to catch by type."""


class AnafError(Exception):
    """Something went wrong talking to ANAF. The message is meant for people."""


class AnafUnavailable(AnafError):
    """ANAF could not be reached, kept failing, or answered with something unreadable."""
