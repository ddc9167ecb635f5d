"""What the sandbox keeps the way a service does: its signing key, the codes and refresh tokens it
issued, its call counters, withdrawn rights and run-time settings.

ANAF does not forget tokens when a client restarts, so neither may the sandbox: this state lives in
one SQLite file (`SandboxConfig.state_path`), which every process mounting the sandbox opens, so
they all issue and accept the same tokens and count calls against the same limits. Without a path
it lives in memory, for as long as the app.

Every read-modify-write runs in one `BEGIN IMMEDIATE` transaction, so two processes never both
take the last call of a window or spend the same refresh token.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

_SCHEMA = """
CREATE TABLE IF NOT EXISTS settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS codes (code TEXT PRIMARY KEY, serial TEXT NOT NULL, client_id TEXT NOT NULL,
                                  redirect_uri TEXT NOT NULL, issued_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS refresh_tokens (jti TEXT PRIMARY KEY, expires_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS calls (at REAL NOT NULL);
CREATE INDEX IF NOT EXISTS calls_at ON calls (at);
CREATE TABLE IF NOT EXISTS daily_calls (day TEXT NOT NULL, method TEXT NOT NULL, cif TEXT NOT NULL,
                                        used INTEGER NOT NULL, PRIMARY KEY (day, method, cif));
CREATE TABLE IF NOT EXISTS withdrawn (serial TEXT NOT NULL, cif TEXT NOT NULL, PRIMARY KEY (serial, cif));
"""


class SandboxStore:
    def __init__(self, path: str | Path | None = None) -> None:
        self.path = str(path) if path else ":memory:"
        if path:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=10.0)
        if path:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def _read(self, sql: str, *args: Any) -> list[tuple]:
        with self._lock:
            return self._db.execute(sql, args).fetchall()

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # -- settings ----------------------------------------------------------------------------------

    def setting_once(self, key: str, make: Callable[[], str]) -> str:
        """The stored value of `key`; the first caller of all processes stores `make()`."""
        found = self._read("SELECT value FROM settings WHERE key = ?", key)
        if found:
            return found[0][0]
        candidate = make()
        with self._write() as db:
            db.execute("INSERT OR IGNORE INTO settings (key, value) VALUES (?, ?)", (key, candidate))
            return db.execute("SELECT value FROM settings WHERE key = ?", (key,)).fetchone()[0]

    def get_json(self, key: str) -> Any:
        found = self._read("SELECT value FROM settings WHERE key = ?", key)
        return json.loads(found[0][0]) if found else None

    def put_json(self, key: str, value: Any) -> None:
        with self._write() as db:
            db.execute("INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                       (key, json.dumps(value)))

    # -- authorization codes and refresh tokens ----------------------------------------------------

    def add_code(self, code: str, serial: str, client_id: str, redirect_uri: str, issued_at: float) -> None:
        with self._write() as db:
            db.execute("INSERT INTO codes VALUES (?, ?, ?, ?, ?)", (code, serial, client_id, redirect_uri, issued_at))

    def take_code(self, code: str, *, forget_before: float) -> tuple[str, str, str, float] | None:
        """Spend `code` (single use): (serial, client_id, redirect_uri, issued_at), or None."""
        with self._write() as db:
            row = db.execute("DELETE FROM codes WHERE code = ? RETURNING serial, client_id, redirect_uri, issued_at",
                             (code,)).fetchone()
            db.execute("DELETE FROM codes WHERE issued_at < ?", (forget_before,))
        return tuple(row) if row else None  # type: ignore[return-value]

    def add_refresh(self, jti: str, expires_at: float) -> None:
        with self._write() as db:
            db.execute("INSERT INTO refresh_tokens VALUES (?, ?)", (jti, expires_at))

    def spend_refresh(self, jti: str, *, now: float) -> bool:
        with self._write() as db:
            spent = db.execute("DELETE FROM refresh_tokens WHERE jti = ?", (jti,)).rowcount == 1
            db.execute("DELETE FROM refresh_tokens WHERE expires_at < ?", (now,))
        return spent

    # -- call counters -----------------------------------------------------------------------------

    def admit_call(self, *, now: float, window: float, limit: int) -> bool:
        """Count one call in the sliding window ending `now`; False (not counted) when it is full."""
        with self._write() as db:
            db.execute("DELETE FROM calls WHERE at <= ?", (now - window,))
            if db.execute("SELECT count(*) FROM calls").fetchone()[0] >= limit:
                return False
            db.execute("INSERT INTO calls VALUES (?)", (now,))
            return True

    def calls_since(self, since: float) -> list[float]:
        return [row[0] for row in self._read("SELECT at FROM calls WHERE at > ? ORDER BY at", since)]

    def take_daily(self, day: str, method: str, cif: str, limit: int) -> bool:
        with self._write() as db:
            row = db.execute("SELECT used FROM daily_calls WHERE day = ? AND method = ? AND cif = ?",
                             (day, method, cif)).fetchone()
            if row and row[0] >= limit:
                return False
            db.execute("INSERT INTO daily_calls VALUES (?, ?, ?, 1) ON CONFLICT (day, method, cif) "
                       "DO UPDATE SET used = used + 1", (day, method, cif))
            db.execute("DELETE FROM daily_calls WHERE day < ?", (day,))
            return True

    def reset_counters(self) -> None:
        with self._write() as db:
            db.execute("DELETE FROM calls")
            db.execute("DELETE FROM daily_calls")

    # -- withdrawn rights --------------------------------------------------------------------------

    def withdrawn(self, serial: str) -> set[str]:
        return {row[0] for row in self._read("SELECT cif FROM withdrawn WHERE serial = ?", serial)}

    def change_withdrawn(self, serial: str, *, withdraw: list[str], restore: list[str]) -> set[str]:
        with self._write() as db:
            db.executemany("INSERT OR IGNORE INTO withdrawn VALUES (?, ?)", [(serial, c) for c in withdraw])
            db.executemany("DELETE FROM withdrawn WHERE serial = ? AND cif = ?", [(serial, c) for c in restore])
            return {row[0] for row in db.execute("SELECT cif FROM withdrawn WHERE serial = ?", (serial,))}
