"""What every service of the ANAF sandbox shares: its configuration and its run-time state."""

from __future__ import annotations

from dataclasses import dataclass, field

from anaf.sandbox.dataset import Dataset
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
