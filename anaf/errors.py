"""Errors raised by the ANAF clients."""


class AnafError(Exception):
    """Something went wrong talking to ANAF."""


class AnafUnavailable(AnafError):
    """ANAF could not be reached or kept failing; the caller may try again later."""
