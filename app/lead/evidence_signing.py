"""The service's Ed25519 key for evidence files: created once (like the secret key) and kept in a
file only its owner can read; files are signed over canonical JSON and checked offline.

A signed file is ``{"evidence": {...}, "signature": {...}}`` and nothing else; the signature covers
the bytes of the ``evidence`` value as canonical JSON (keys sorted, separators ``,`` and ``:``, no
other whitespace, UTF-8, non-ASCII characters as themselves), so any change to any value fails.

A file is read strictly before it is checked (`verify_file`), so it has exactly one meaning and that
meaning is the one signed: a key twice in one object (a reader keeping the first would see other
amounts than the one keeping the last), data after the document, NaN or Infinity, a number not
written as canonical JSON writes it (``1.0`` for ``1``, ``1e3``, ``-0``, ``0.10``), a string that is
not valid UTF-8 or holds a lone surrogate, and any top-level or signature field but the known ones
are all refused.
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
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode()


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


SIGNATURE_FIELDS = frozenset({"algorithm", "public_key", "key_id", "signed", "value"})


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    document: dict[str, Any] = {}
    for name, value in pairs:
        if name in document:
            raise EvidenceSignatureError(f"the key {name[:40]!r} appears twice in one object: a forged file")
        document[name] = value
    return document


def _canonical_int(text: str) -> int:
    number = int(text)
    if str(number) != text:
        raise EvidenceSignatureError(f"the number {text[:40]!r} is not written in canonical form")
    return number


def _canonical_float(text: str) -> float:
    number = float(text)
    if repr(number) != text:  # json.dumps writes a float as its repr; inf and nan are not JSON
        raise EvidenceSignatureError(f"the number {text[:40]!r} is not written in canonical form")
    return number


def _no_constant(text: str) -> Any:
    raise EvidenceSignatureError(f"{text} is not a JSON number")


def parse_strict(raw: bytes | str) -> Any:
    """The one reading of an evidence file, or EvidenceSignatureError saying why there is not one."""
    try:
        text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
        return json.loads(
            text,
            object_pairs_hook=_no_duplicates,
            parse_int=_canonical_int,
            parse_float=_canonical_float,
            parse_constant=_no_constant,
        )
    except UnicodeDecodeError as exc:
        raise EvidenceSignatureError("the file is not UTF-8") from exc
    except RecursionError as exc:
        raise EvidenceSignatureError("the file is nested too deep") from exc
    except ValueError as exc:  # json.JSONDecodeError included: not JSON, or data after the document
        if isinstance(exc, EvidenceSignatureError):
            raise
        raise EvidenceSignatureError(f"the file is not one JSON document ({exc})") from exc


def verify_file(raw: bytes | str, trusted_public_key: str) -> dict[str, Any]:
    """Read `raw` strictly (`parse_strict`), then `verify` it."""
    return verify(parse_strict(raw), trusted_public_key)


def verify(signed: Any, trusted_public_key: str) -> dict[str, Any]:
    """The evidence of a signed file when its signature is the trusted key's; EvidenceSignatureError otherwise.
    Read a file with `verify_file`: a parsed document no longer shows a duplicated key."""
    if not isinstance(signed, dict) or not isinstance(signed.get("evidence"), dict):
        raise EvidenceSignatureError("not an evidence file: no 'evidence' object")
    if set(signed) != {"evidence", "signature"}:
        extra = sorted(set(signed) - {"evidence", "signature"})
        raise EvidenceSignatureError(f"not an evidence file: unsigned fields {extra[:5]} beside the evidence")
    signature = signed.get("signature")
    if not isinstance(signature, dict) or signature.get("algorithm") != ALGORITHM:
        raise EvidenceSignatureError("no Ed25519 signature in the file")
    if not set(signature) <= SIGNATURE_FIELDS or not isinstance(signature.get("value"), str):
        raise EvidenceSignatureError("the signature has fields of another kind of file")
    if signature.get("public_key") != trusted_public_key:
        raise EvidenceSignatureError(
            f"signed by key {signature.get('key_id')!r}, not by the trusted key {key_id(trusted_public_key)!r}"
        )
    try:
        public = Ed25519PublicKey.from_public_bytes(base64.b64decode(trusted_public_key, validate=True))
        public.verify(base64.b64decode(signature["value"], validate=True), canonical(signed["evidence"]))
    except (InvalidSignature, ValueError) as exc:  # UnicodeEncodeError (a lone surrogate) included
        raise EvidenceSignatureError("the signature does not match the contents: the file was changed") from exc
    return signed["evidence"]
