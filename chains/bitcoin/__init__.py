"""Bitcoin: addresses and scripts (python-bitcoinlib + BIP-350), Esplora REST adapter."""
