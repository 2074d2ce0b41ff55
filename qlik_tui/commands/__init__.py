"""The CLI's subcommands, one module each. Imported lazily by ``qlik_tui.cli``."""
