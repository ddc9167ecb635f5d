"""Companies on the platform: creation from ANAF's public registry, membership and roles, and what
a viewer may see (own, client and accountant companies)."""
