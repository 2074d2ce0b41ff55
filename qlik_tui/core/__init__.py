"""The UI-free core: tenants, API keys, the Qlik Cloud client and the outcome table.

Nothing in this package may import Textual or keyring.
"""
