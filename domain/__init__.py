"""Business rules and Tortoise models, one package per capability (accounts, companies, efactura,
portfolio, invitations, notifications, mail) beside a small shared kernel. No GraphQL, no HTTP.
`MODEL_MODULES` registers every capability's models with Tortoise (app label "models")."""

MODEL_MODULES = [
    "domain.kernel.models",
    "domain.accounts.models",
    "domain.companies.models",
    "domain.efactura.models",
    "domain.portfolio.models",
    "domain.invitations.models",
    "domain.notifications.models",
    "domain.mail.models",
]
