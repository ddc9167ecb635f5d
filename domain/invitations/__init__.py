"""Invitations from a firm to its clients and what follows: sending in bulk, links (preview, sign-up,
claim), the life cycle and audit trail, expiry, reminders, their e-mails and bell texts, and the
client's answer (collaborations)."""
