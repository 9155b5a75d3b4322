"""Ethereum: address and hash validation (the JSON-RPC adapter builds on this)."""
