"""Reading the recorded provider responses of ../shared/fixtures in place."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def eth_result(fixtures_dir: Path, name: str, key: str | None = None) -> Any:
    """The JSON-RPC `result` of a recorded Ethereum answer (`key`: transaction or receipt)."""
    document = json.loads((fixtures_dir / name).read_text())
    part = document[key] if key else document
    return part["response"]["result"]
