"""The bell: notification rows written in the caller's transaction, the feed as the API reads it,
and what live subscriptions load for each event."""
