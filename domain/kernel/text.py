"""Folding text for search: the same on every database, done here rather than by SQL collations
(SQLite's LIKE folds ASCII letters only, PostgreSQL's UPPER folds Ș but neither drops diacritics)."""

from __future__ import annotations

import unicodedata


def fold(text: str) -> str:
    """Lower case, no diacritics, single spaces: "  ȘTEFAN  Ţiriac " -> "stefan tiriac".

    Decomposition (NFKD) splits ș/ş, ț/ţ, ă, â, î into a base letter and a combining mark, which is
    dropped; compatibility forms (ligatures, full-width letters) become their plain letters."""
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(bare.casefold().split())
