"""What every service of the ANAF sandbox shares: its configuration and its run-time state."""

from __future__ import annotations

from dataclasses import dataclass, field

from anaf.sandbox.dataset import Dataset
from anaf.sandbox.faults import FaultConfig, Faults
from anaf.sandbox.store import SandboxStore


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
    # "echo": the queried cif, as every capture of ANAF shows (the default); "list": the certificate's
    # comma-separated rights list, an opt-in scenario nobody has seen ANAF answer (unconfirmed).
    efactura_cui_field: str = "echo"
    faults: dict[str, FaultConfig] = field(default_factory=dict)
    seed: int = 0  # seeds the fault generator
    # The SQLite file holding the state a service keeps across restarts (signing key, issued codes and
    # tokens, call counters, withdrawn rights), shared by every process that opens it; None: memory.
    state_path: str | None = None


@dataclass
class SandboxState:
    """Everything the sandbox's services share. Services attach their own state as attributes."""

    config: SandboxConfig
    dataset: Dataset
    faults: Faults
    store: SandboxStore = field(default_factory=SandboxStore)

    def withdrawn_for(self, serial: str) -> set[str]:
        """Rights withdrawn at run time (POST /rights): CUIs/CNPs no longer granted to `serial`."""
        return self.store.withdrawn(serial)

    def rights(self, serial: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """(CUIs, CNPs) the certificate `serial` has rights for now; empty for an unknown serial."""
        holder = self.dataset.holder_by_serial(serial)
        if holder is None:
            return (), ()
        gone = self.withdrawn_for(holder.serial)
        return (
            tuple(c for c in holder.cuis if c not in gone),
            tuple(c for c in holder.cnps if c not in gone),
        )
