"""Where keys (OS keyring) and profile metadata (a JSON file, never the key) are kept."""
