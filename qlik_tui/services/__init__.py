"""Services shared by the CLI and the TUI: verify a key, log in (store it), check stored keys.

Depends on ``qlik_tui.core`` and ``qlik_tui.store``; never on Textual or argparse.
"""
