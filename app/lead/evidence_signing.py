"""The service's Ed25519 key for evidence files: created once (like the secret key) and kept in a
file only its owner can read; files are signed over canonical JSON and checked offline.

A signed file is ``{"evidence": {...}, "signature": {...}}``; the signature covers the evidence as
canonical JSON (keys sorted, no spaces, UTF-8), so any change to any byte of it fails.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

ALGORITHM = "Ed25519"
CANONICAL = "JSON with sorted keys, separators ',' and ':', UTF-8"


class EvidenceSignatureError(Exception):
    """A file that does not verify; the message says why."""


def canonical(document: Any) -> bytes:
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def key_id(public_key: str) -> str:
    return hashlib.sha256(base64.b64decode(public_key)).hexdigest()[:16]


@dataclass(frozen=True)
class EvidenceKey:
    private: Ed25519PrivateKey

    @property
    def public_key(self) -> str:
        raw = self.private.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        return base64.b64encode(raw).decode()

    def describe(self) -> dict[str, str]:
        return {"algorithm": ALGORITHM, "public_key": self.public_key, "key_id": key_id(self.public_key)}

    def sign(self, evidence: dict[str, Any]) -> dict[str, Any]:
        value = base64.b64encode(self.private.sign(canonical(evidence))).decode()
        return {"evidence": evidence, "signature": {**self.describe(), "signed": CANONICAL, "value": value}}


def load_or_create(path: Path) -> EvidenceKey:
    """The key at `path`; created there (mode 0600) the first time."""
    if path.exists():
        loaded = serialization.load_pem_private_key(path.read_bytes(), password=None)
        if not isinstance(loaded, Ed25519PrivateKey):
            raise EvidenceSignatureError(f"{path} does not hold an Ed25519 private key")
        return EvidenceKey(loaded)
    path.parent.mkdir(parents=True, exist_ok=True)
    private = Ed25519PrivateKey.generate()
    pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as file:
        file.write(pem)
    return EvidenceKey(private)


def verify(signed: Any, trusted_public_key: str) -> dict[str, Any]:
    """The evidence of a signed file when its signature is the trusted key's; EvidenceSignatureError otherwise."""
    if not isinstance(signed, dict) or not isinstance(signed.get("evidence"), dict):
        raise EvidenceSignatureError("not an evidence file: no 'evidence' object")
    signature = signed.get("signature")
    if not isinstance(signature, dict) or signature.get("algorithm") != ALGORITHM:
        raise EvidenceSignatureError("no Ed25519 signature in the file")
    if signature.get("public_key") != trusted_public_key:
        raise EvidenceSignatureError(
            f"signed by key {signature.get('key_id')!r}, not by the trusted key {key_id(trusted_public_key)!r}"
        )
    try:
        public = Ed25519PublicKey.from_public_bytes(base64.b64decode(trusted_public_key, validate=True))
        public.verify(base64.b64decode(str(signature.get("value")), validate=True), canonical(signed["evidence"]))
    except (InvalidSignature, ValueError) as exc:
        raise EvidenceSignatureError("the signature does not match the contents: the file was changed") from exc
    return signed["evidence"]
