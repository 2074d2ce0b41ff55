"""qlik-tui: get a Qlik Cloud API key stored safely and proven to work."""

__version__ = "0.1.0"
