"""Accounts: people, passwords (rules and argon2id hashes), sessions, sign-up and sign-in with
throttling, and resolving a bearer token to its user."""
