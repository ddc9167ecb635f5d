"""The ANAF sandbox as one ASGI app: the assembly of its services (configuration and shared state
live in `anaf/sandbox/state.py`).

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
from typing import Any

from starlette.applications import Starlette
from starlette.routing import BaseRoute

from anaf.sandbox import control, registry
from anaf.sandbox.dataset import get_dataset
from anaf.sandbox.faults import Faults
from anaf.sandbox.state import SandboxConfig, SandboxState
from anaf.sandbox.store import SandboxStore

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
    state = SandboxState(config=config, dataset=get_dataset(), faults=Faults(config.faults, seed=config.seed),
                         store=SandboxStore(config.state_path))
    routes = [*control.routes(state), *registry.routes(state), *_optional_routes(state)]
    app = Starlette(routes=routes)
    app.state.sandbox = state
    return app
