"""`depositdesk evidence key | verify FILE`: the evidence files' signing key, and checking a file offline."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from app.cli.common import cli_settings


@click.group()
def evidence() -> None:
    """Signed evidence files for disputes."""


@evidence.command("key")
def evidence_key() -> None:
    """Print the public key that checks evidence files (created once, like the secret key)."""
    from app.lead.evidence_signing import load_or_create

    key = load_or_create(cli_settings().resolved_evidence_key_path())
    described = key.describe()
    click.echo(f"{described['algorithm']} key {described['key_id']}:", err=True)
    click.echo(described["public_key"])


@evidence.command("verify")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--public-key",
    help="Base64 public key to trust (from /.well-known/depositdesk-evidence-key); "
    "default: this installation's own key.",
)
def evidence_verify(file: Path, public_key: str | None) -> None:
    """Check an evidence file offline: exit 0 when its signature is good, 1 when it is not."""
    from app.lead.evidence_signing import EvidenceSignatureError, load_or_create, verify_file

    if public_key is None:
        path = cli_settings().resolved_evidence_key_path()
        if not path.exists():
            raise click.ClickException(f"no evidence key at {path}: pass --public-key")
        public_key = load_or_create(path).public_key
    try:
        document = verify_file(file.read_bytes(), public_key)
    except EvidenceSignatureError as exc:
        click.echo(f"INVALID: {exc}", err=True)
        sys.exit(1)
    click.echo(f"valid: investigation {document.get('investigation')}, generated {document.get('generated_at')}")
