"""Counting the SQL statements the ORM sends (each one a round trip to the database), from the
debug records Tortoise writes for every query it executes."""

from __future__ import annotations

import logging
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Iterator

_LOGGER = logging.getLogger("tortoise.db_client")


@dataclass
class StatementCounter(logging.Handler):
    statements: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        logging.Handler.__init__(self, level=logging.DEBUG)

    def emit(self, record: logging.LogRecord) -> None:
        text = str(record.msg % record.args if record.args else record.msg)
        if not text.startswith(("Created connection", "Closed connection")):
            self.statements.append(text.split(":", 1)[0][:200])

    @property
    def count(self) -> int:
        return len(self.statements)

    __hash__ = logging.Handler.__hash__


@contextmanager
def counting_statements() -> Iterator[StatementCounter]:
    counter = StatementCounter()
    level, propagate = _LOGGER.level, _LOGGER.propagate
    _LOGGER.setLevel(logging.DEBUG)
    _LOGGER.propagate = False  # count, do not print
    _LOGGER.addHandler(counter)
    try:
        yield counter
    finally:
        _LOGGER.removeHandler(counter)
        _LOGGER.setLevel(level)
        _LOGGER.propagate = propagate
