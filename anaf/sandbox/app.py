"""The ANAF sandbox as one ASGI app: configuration, shared state and the assembly of its services.

ANAF's hosts are collapsed under one base, keeping ANAF's own paths below it:
  registry   POST /api/PlatitorTvaRest/v9/tva  (and the older /PlatitorTvaRest/api/v8/ws/tva)
  OAuth      /anaf-oauth2/v1/...
  e-Factura  /prod/FCTEL/rest/... and /test/FCTEL/rest/..., token check /TestOauth/jaxrs/hello
  control    /, /fixtures, /faults (sandbox only: data to try, fault injection)
The app runs on its own port or mounted inside the product (at /_sandbox/anaf); every path is
relative to where it is mounted.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.routing import BaseRoute

from anaf.sandbox import control, registry
from anaf.sandbox.dataset import Dataset, get_dataset
from anaf.sandbox.faults import FaultConfig, Faults


@dataclass
class SandboxConfig:
    oauth_client_id: str = "portofoliu-sandbox"
    oauth_client_secret: str = "sandbox-secret"
    oauth_redirect_uris: tuple[str, ...] = ("http://localhost:8000/anaf/oauth/callback",)
    access_token_ttl: int = 90 * 24 * 3600
    refresh_token_ttl: int = 365 * 24 * 3600
    code_ttl: int = 60
    registry_max_batch: int = 100
    registry_min_interval: float = 1.0  # a second request sooner than this gets HTTP 429
    efactura_per_minute: int = 1000
    efactura_per_day_per_cui: int = 1500
    efactura_cui_field: str = "list"  # "list": comma-separated rights list; "echo": the queried cif
    faults: dict[str, FaultConfig] = field(default_factory=dict)
    seed: int = 0  # seeds the fault generator


@dataclass
class SandboxState:
    """Everything the sandbox's services share. Services attach their own state as attributes."""

    config: SandboxConfig
    dataset: Dataset
    faults: Faults
    # Rights withdrawn at run time: certificate serial -> CUIs/CNPs no longer granted.
    withdrawn: dict[str, set[str]] = field(default_factory=dict)

    def rights(self, serial: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """(CUIs, CNPs) the certificate `serial` has rights for now; empty for an unknown serial."""
        holder = self.dataset.holder_by_serial(serial)
        if holder is None:
            return (), ()
        gone = self.withdrawn.get(holder.serial, set())
        return (
            tuple(c for c in holder.cuis if c not in gone),
            tuple(c for c in holder.cnps if c not in gone),
        )


# Services whose modules may be absent from a build; each exposes `routes(state) -> list[BaseRoute]`.
OPTIONAL_SERVICES = ("anaf.sandbox.oauth", "anaf.sandbox.efactura")


def _optional_routes(state: SandboxState) -> list[BaseRoute]:
    routes: list[BaseRoute] = []
    for module_name in OPTIONAL_SERVICES:
        try:
            module: Any = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name != module_name:
                raise
            continue
        routes.extend(module.routes(state))
    return routes


def create_sandbox_app(config: SandboxConfig | None = None) -> Starlette:
    config = config or SandboxConfig()
    state = SandboxState(config=config, dataset=get_dataset(), faults=Faults(config.faults, seed=config.seed))
    routes = [*control.routes(state), *registry.routes(state), *_optional_routes(state)]
    app = Starlette(routes=routes)
    app.state.sandbox = state
    return app
