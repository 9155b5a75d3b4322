"""TRON over the java-tron HTTP API (TronGrid or the casino's own full node)."""
