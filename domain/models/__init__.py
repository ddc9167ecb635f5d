"""The Tortoise models of every capability, one module each; `MODEL_MODULES` registers them."""

MODEL_MODULES = [
    "domain.models.accounts",
    "domain.models.companies",
    "domain.models.efactura",
    "domain.models.portfolio",
    "domain.models.invitations",
    "domain.models.notifications",
    "domain.models.outbox",
]
