"""Put a sandbox holder's qualified certificate on a PKCS#11 token (SoftHSM2 in tests and demos).

A real CA generates the key pair on the token and certifies it; this does the same with the
sandbox CA, so the token agent can be exercised end to end without a real qualified certificate.
"""

from __future__ import annotations

import datetime as dt

from anaf.agent.token import CertificateInfo, create_key_and_certificate
from anaf.sandbox.ca import issue_holder_certificate, load_ca
from anaf.sandbox.dataset import get_dataset


class UnknownHolder(LookupError):
    pass


def issue_sandbox_certificate(
    module_path: str,
    token_label: str,
    pin: str,
    holder_key: str,
    *,
    not_before: dt.datetime | None = None,
    not_after: dt.datetime | None = None,
) -> CertificateInfo:
    """Generate a key pair on the token and store the sandbox CA's certificate for ``holder_key``."""
    holders = get_dataset().holders
    holder = holders.get(holder_key)
    if holder is None:
        raise UnknownHolder(f"No sandbox holder {holder_key!r}; known: {', '.join(sorted(holders))}.")
    ca = load_ca()
    return create_key_and_certificate(
        module_path,
        token_label,
        pin,
        lambda public_key: issue_holder_certificate(
            public_key, holder, not_before=not_before, not_after=not_after, ca=ca
        ),
        label=holder.name,
    )
