"""The --help epilogs of ``token``, ``exec`` and ``import``: kept apart from the commands so
building the parser imports none of them."""

from __future__ import annotations

TOKEN_EPILOG = """exit codes:
  0    the key was printed
  1    the profile has no key in its store (the OS keyring or the encrypted file)
  2    usage error, unknown profile, or standard output is a terminal
  3    the key store could not be read (a keyring locked, not running or too slow; the
       encrypted file locked, its passphrase wrong, or damaged)
  4    the profiles file cannot be read
  70   internal error (a bug in qlik-tui)

examples:
  KEY="$(qlik-tui token prod)"
  echo "header = \\"Authorization: Bearer $(qlik-tui token prod)\\"" |
    curl -LK - https://acme.eu.qlikcloud.com/api/v1/users/me
  (echo is a shell builtin, so the key is in no process's argv; curl -H "...$KEY" would be)"""


EXEC_EPILOG = """variables set for COMMAND:
  QCS_SERVER        the tenant's origin, https://host[:port]
  QCS_HOST          host[:port]
  QCS_API_KEY       the key (never put on any command line)
  QLIK_TUI_PROFILE  the profile name (qlik-tui inside COMMAND defaults to it)
  QLIK_TUI_EXEC     the profile name too: exec refuses to run inside another exec

exit codes:
  N    COMMAND's own exit code; 128+N when it died of signal N
  1    (with --check) the key was rejected; COMMAND was not run
  2    usage error, unknown profile, or already inside `qlik-tui exec`
  3    (with --check) inconclusive; or the key store (keyring or encrypted file) could not
       be read
  4    the profiles file cannot be read
  126  COMMAND cannot be executed
  127  COMMAND was not found

examples:
  qlik-tui exec prod -- python my_sdk_script.py
  qlik-tui exec prod -- sh -c 'echo "header = \\"Authorization: Bearer $QCS_API_KEY\\"" |
    curl -sLK - "$QCS_SERVER/api/v1/users/me"'
  qlik-tui exec prod --key-var QLIK_API_KEY -- my-tool
  qlik-tui exec -- my-tool       (the default profile: QLIK_TUI_PROFILE or `qlik-tui use`)"""


IMPORT_EPILOG = """where the file is looked for:
  --file PATH, else $QLIK_CLI_USER_HOME_DIR (the file itself, or a folder holding contexts.yml
  or .qlik/contexts.yml), else ~/.qlik/contexts.yml. It is only read, never written.

exit codes:
  0    every API-key context was imported (or proven, with --dry-run), or was already stored
  1    at least one key was rejected (it was not stored)
  2    usage error, unknown --context, or a missing, unreadable or malformed contexts file
  3    at least one key could not be tested (network, TLS, server error), none rejected
  4    at least one proven key was not stored: the profile name is taken, or the key store
       or profiles file refused it; or no usable key store (nothing was imported)
  70   internal error (a bug in qlik-tui)"""
