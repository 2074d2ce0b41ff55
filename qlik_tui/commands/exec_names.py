"""``exec --key-var`` / ``--server-var``: names that something other than COMMAND's own code
acts on are refused, because the key (or the origin) would then be read as a path, a library,
a command, code or a proxy: the dynamic loader prints an ``LD_PRELOAD`` it cannot load to
stderr, a shell sources ``BASH_ENV``, an interpreter runs ``PYTHONSTARTUP``, a proxy variable
sends the key to a name server as a host name, and a directory variable puts it in file names.

CONTRACT:
    why_refused(name) -> str | None   # None: a name of the user's own, free to use

The list is a considered one, not a complete one (no list can know every program's variables):
it covers the loader and C library, POSIX shells, the common interpreters, TLS and proxy
settings, and tools that run a command or open a file a variable names. Names are compared
without regard to case (some tools honour lower-case forms; Windows ignores case).
"""

from __future__ import annotations

_LOADER = "the dynamic loader and the C library act on it (it could load or print the value)"
_SHELL = "shells and common tools read it as a path, a command or a setting"
_INTERPRETER = "an interpreter reads it as code, options or a library path"
_NETWORK = "network and TLS libraries read it (a proxy or a file to trust or write)"
_TOOL = "tools run the command or open the file it names"
_OURS = "qlik-tui reads it itself"

# Exact names, upper-case.
_NAMES: dict[str, str] = {
    **dict.fromkeys(
        ("GCONV_PATH", "GLIBC_TUNABLES", "LOCPATH", "NLSPATH", "HOSTALIASES", "LOCALDOMAIN",
         "RES_OPTIONS", "TZ", "TZDIR"),
        _LOADER,
    ),
    **dict.fromkeys(
        ("PATH", "IFS", "ENV", "BASH_ENV", "CDPATH", "SHELLOPTS", "BASHOPTS", "GLOBIGNORE",
         "PS1", "PS2", "PS3", "PS4", "PROMPT_COMMAND", "HOME", "SHELL", "TERM", "TERMINFO",
         "TERMCAP", "TMPDIR", "TMP", "TEMP", "LANG", "LANGUAGE", "MAIL", "MAILPATH", "HISTFILE",
         "INPUTRC", "ZDOTDIR", "FPATH"),
        _SHELL,
    ),
    **dict.fromkeys(
        ("CLASSPATH", "JAVA_TOOL_OPTIONS", "_JAVA_OPTIONS", "JDK_JAVA_OPTIONS", "TCLLIBPATH",
         "PHPRC", "PHP_INI_SCAN_DIR", "GOFLAGS", "GODEBUG", "R_PROFILE", "R_PROFILE_USER",
         "R_ENVIRON", "R_ENVIRON_USER"),
        _INTERPRETER,
    ),
    **dict.fromkeys(
        ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY", "FTP_PROXY", "SOCKS_PROXY",
         "SSLKEYLOGFILE", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "CURL_HOME", "WGETRC",
         "NETRC", "DISPLAY", "WAYLAND_DISPLAY"),
        _NETWORK,
    ),
    **dict.fromkeys(
        ("EDITOR", "VISUAL", "PAGER", "MANPAGER", "BROWSER", "LESSOPEN", "LESSCLOSE",
         "SUDO_ASKPASS"),
        _TOOL,
    ),
}  # fmt: skip

# Prefixes, upper-case: whole families of variables one reader acts on.
_PREFIXES: tuple[tuple[str, str], ...] = (
    ("LD_", _LOADER),  # LD_PRELOAD, LD_LIBRARY_PATH, LD_AUDIT, LD_DEBUG_OUTPUT ...
    ("DYLD_", _LOADER),  # the macOS loader's
    ("MALLOC_", _LOADER),  # glibc's allocator settings (MALLOC_CHECK_ ...)
    ("BASH_FUNC_", _SHELL),  # functions bash imports from the environment
    ("LC_", _SHELL),  # locale names, echoed in "cannot change locale" warnings
    ("XDG_", _SHELL),  # directories tools create files in
    ("PYTHON", _INTERPRETER),  # PYTHONSTARTUP, PYTHONPATH, PYTHONHOME, PYTHONWARNINGS ...
    ("PERL", _INTERPRETER),  # PERL5OPT, PERL5LIB, PERLLIB, PERL5DB ...
    ("NODE_", _INTERPRETER),  # NODE_OPTIONS, NODE_PATH, NODE_EXTRA_CA_CERTS ...
    ("NPM_CONFIG_", _INTERPRETER),
    ("RUBY", _INTERPRETER),  # RUBYOPT, RUBYLIB ...
    ("GEM_", _INTERPRETER),
    ("LUA_", _INTERPRETER),  # LUA_INIT runs code
    ("DOTNET_", _INTERPRETER),
    ("CORECLR_", _INTERPRETER),  # profilers the runtime loads
    ("COMPLUS_", _INTERPRETER),
    ("SSL_", _NETWORK),  # SSL_CERT_FILE, SSL_CERT_DIR
    ("OPENSSL_", _NETWORK),  # OPENSSL_CONF loads modules
    ("KRB5", _NETWORK),
    ("DBUS_", _NETWORK),
    ("SSH_", _TOOL),  # SSH_ASKPASS, SSH_AUTH_SOCK
    ("GIT_", _TOOL),  # GIT_SSH_COMMAND, GIT_PAGER, GIT_EXEC_PATH, GIT_CONFIG_* ...
    ("QLIK_TUI_", _OURS),  # QLIK_TUI_PROFILE marks a nested exec; the passphrase file's name
)


def why_refused(name: str) -> str | None:
    """Why ``name`` may not carry the key or the origin, or None when it may."""
    upper = name.upper()
    if upper in _NAMES:
        return _NAMES[upper]
    for prefix, reason in _PREFIXES:
        if upper.startswith(prefix):
            return reason
    return None
