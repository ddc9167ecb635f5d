"""Command line of the token agent (``portofoliu agent ...``) and the sandbox certificate issuer.

The PIN is asked with a hidden prompt (or read as one line from stdin with ``--pin-stdin`` for
scripts and tests), never taken from the command line or the environment, kept in memory only
for the run, and tried once: a wrong PIN ends the program with a non-zero status (and what the
token says about the tries left) instead of retrying and locking the token.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import click

from anaf.agent.discover import DiscoveryFailed, DiscoveryRequest, UploadResult, run_discovery
from anaf.agent.modes import MODES, PRODUCTION, default_spv_url
from anaf.agent.spv_client import DEFAULT_DAYS
from anaf.agent.token import SOFTHSM_MODULE, CertificateInfo, TokenError, list_certificates
from anaf.errors import AnafError

_module_option = click.option(
    "--module", "module_path", envvar="PKCS11_MODULE", default=SOFTHSM_MODULE, show_default=True,
    help="The token vendor's PKCS#11 library (e.g. eTPKCS11.dll, libeTPkcs11.dylib, libIDPrimePKCS11.so; "
         "the README lists where each is usually found).",
)
_token_label_option = click.option(
    "--token-label", default=None,
    help="The token's label (without it: every token plugged in; discover asks which to use).",
)
_pin_stdin_option = click.option("--pin-stdin", is_flag=True, help="Read the PIN as one line from stdin (scripts).")


def _read_pin(pin_stdin: bool) -> str:
    if pin_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return click.prompt("Token PIN", hide_input=True)


def _certificate_table(certificates: list[CertificateInfo]) -> str:
    rows = [("TOKEN", "LABEL", "SERIAL", "VALID UNTIL", "SUBJECT", "ISSUER")]
    rows += [
        (c.token_label, c.label, c.serial_hex, f"{c.not_after:%Y-%m-%d}", c.subject, c.issuer)
        for c in certificates
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    return "\n".join(
        "  ".join(value.ljust(width) for value, width in zip(row, widths)) + "  " + row[-1]
        for row in rows
    )


@click.group("agent")
def agent() -> None:
    """Token agent: reads your USB token on this computer and lists your ANAF rights."""


@agent.command("certificates")
@_module_option
@_token_label_option
def certificates_command(module_path: str, token_label: str | None) -> None:
    """List the certificates on the token (no PIN needed)."""
    try:
        found = list_certificates(module_path, token_label)
    except TokenError as error:
        raise click.ClickException(str(error)) from error
    if not found:
        click.echo("No certificates on the token.")
        return
    click.echo(_certificate_table(found))


def _choose_token(module_path: str, token_label: str | None) -> str:
    """The label of the token to use: the one named, the only one with a certificate, or the
    accountant's choice from a numbered list."""
    if token_label is not None:
        return token_label
    found = list_certificates(module_path)
    tokens = list(dict.fromkeys(c.token_label for c in found))
    if not tokens:
        raise click.ClickException(
            "No token with a certificate is plugged in (or the PKCS#11 module sees none). "
            f"Module: {module_path}"
        )
    if len(tokens) == 1:
        click.echo(f"Token: {tokens[0]}")
        return tokens[0]
    click.echo("Tokens with a certificate:")
    for number, label in enumerate(tokens, start=1):
        certificates = [c for c in found if c.token_label == label]
        latest = max(certificates, key=lambda c: c.not_after)
        click.echo(f"  {number}. {label}: {latest.holder_name}, serial {latest.serial_hex}, "
                   f"valid until {latest.not_after:%Y-%m-%d}")
    number = click.prompt(f"Which token (1-{len(tokens)})", type=click.IntRange(1, len(tokens)))
    return tokens[number - 1]


def _closing_sentence(result: UploadResult, server_url: str) -> str:
    companies = "1 company" if result.companies == 1 else f"{result.companies} companies"
    persons = "1 person" if result.persons == 1 else f"{result.persons} persons"
    return (f"Done: {server_url} accepted the list ANAF gives for {result.holder}'s certificate, "
            f"{companies} and {persons}.")


@agent.command("discover")
@click.option("--server", "server_url", required=True, help="The Portofoliu server, e.g. https://app.example.ro")
@click.option("--pairing-code", required=True, help="The one-time code shown in Portofoliu.")
@_module_option
@_token_label_option
@click.option("--anaf", "mode", type=click.Choice(MODES), default=PRODUCTION, show_default=True,
              help="ANAF's live service (trusting the system's CAs) or the sandbox (trusting the sandbox CA).")
@click.option("--spv-url", default=None, help="ANAF's SPV web service base URL (default: the one of --anaf).")
@click.option("--ca-bundle", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="CAs trusted for the SPV server (default: the system's in production, the sandbox CA in the sandbox).")
@click.option("--days", default=DEFAULT_DAYS, show_default=True, type=click.IntRange(1, 5000),
              help="How many days of SPV messages to ask for (ANAF lists rights only with messages).")
@_pin_stdin_option
def discover_command(server_url: str, pairing_code: str, module_path: str, token_label: str | None, mode: str,
                     spv_url: str | None, ca_bundle: Path | None, days: int, pin_stdin: bool) -> None:
    """Ask ANAF which companies your certificate has rights for and send the signed list to Portofoliu."""
    try:
        label = _choose_token(module_path, token_label)
    except TokenError as error:
        raise click.ClickException(str(error)) from error
    request = DiscoveryRequest(
        server_url=server_url, pairing_code=pairing_code, module_path=module_path, token_label=label,
        spv_url=spv_url or default_spv_url(mode), ca_bundle=ca_bundle, days=days, mode=mode,
    )
    pin = _read_pin(pin_stdin)
    try:
        result = asyncio.run(run_discovery(request, pin, click.echo))
    except (TokenError, AnafError, DiscoveryFailed) as error:
        raise click.ClickException(str(error)) from error
    click.echo(_closing_sentence(result, server_url))


@click.command("issue-certificate")
@click.option("--holder", "holder_key", required=True, help="Sandbox holder key: small, medium, large, persons, none.")
@_module_option
@click.option("--token-label", required=True, help="The token to put the key and certificate on.")
@_pin_stdin_option
def issue_certificate_command(holder_key: str, module_path: str, token_label: str, pin_stdin: bool) -> None:
    """Sandbox only: generate a key on the token and store a sandbox CA certificate for a holder."""
    from anaf.sandbox.token_certificates import UnknownHolder, issue_sandbox_certificate

    pin = _read_pin(pin_stdin)
    try:
        info = issue_sandbox_certificate(module_path, token_label, pin, holder_key)
    except (TokenError, UnknownHolder) as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"Stored on token {info.token_label!r}: {info.subject}, serial {info.serial_hex}, "
               f"valid until {info.not_after:%Y-%m-%d}.")
