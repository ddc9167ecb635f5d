"""E-mail: the outbox rows written with the change that caused them, rendering from the
templates in both languages, and formatting dates as people read them."""
