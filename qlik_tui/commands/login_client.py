"""``qlik-tui login --oauth-client-id ID [--with-secret]``: read an OAuth client's secret
(standard input or a hidden prompt, never argv), prove it by minting an access token and reading
the client's bot user, and store the secret like a key (the ID and what was learnt in the
profile)."""

from __future__ import annotations

import argparse
import asyncio
from typing import TextIO

from qlik_tui.commands import exits
from qlik_tui.commands.output import (
    ask_hidden,
    error,
    explain_store_failure,
    insecure_backend_notice,
    open_login_store,
    print_stored_json,
    refuse_unproven_login,
)
from qlik_tui.core.oauth import (
    ClientIdRefused,
    ClientSecret,
    normalise_client_id,
)
from qlik_tui.core.outcomes import Verdict
from qlik_tui.core.tenant import Tenant
from qlik_tui.core.untrusted import looks_like_key
from qlik_tui.services.context import Services
from qlik_tui.services.oauth_clients import ClientProof, describe_token, prove_client
from qlik_tui.services.results import KeyNotStored
from qlik_tui.services.storing import store_client
from qlik_tui.services.token_cache import save_cached_token
from qlik_tui.store.profiles import Profile

INPUT_CLOSED = "the input was closed at the secret prompt (Ctrl-D): nothing was stored."


def run(
    args: argparse.Namespace,
    services: Services,
    name: str,
    tenant: Tenant,
    stdin: TextIO,
    stdout: TextIO,
    stderr: TextIO,
) -> int:
    if args.oauth_client_id is None:
        error(stderr, "--with-secret needs --oauth-client-id ID (the client's ID)")
        return exits.USAGE
    if args.with_token:
        error(stderr, "--with-token reads an API key; an OAuth client's secret: --with-secret")
        return exits.USAGE
    try:
        client_id = normalise_client_id(args.oauth_client_id)
    except ClientIdRefused as exc:
        error(stderr, f"--oauth-client-id: {exc}")
        return exits.USAGE

    opened = open_login_store(args, services, name, stderr)
    if opened is None:
        return exits.STORAGE
    services = opened

    secret = _read_secret(args, stdin, stderr)
    if secret is None:
        return exits.USAGE
    if secret.reveal() == client_id:
        error(stderr, "the secret is the client ID again: paste the client secret")
        return exits.USAGE

    proof: ClientProof | None = None
    if not args.no_verify:
        proof = asyncio.run(
            prove_client(tenant, client_id, secret, settings=services.client_settings)
        )
        if proof.outcome.verdict is not Verdict.VALID:
            return refuse_unproven_login(
                proof.outcome,
                name=name,
                tenant=tenant,
                what="secret",
                as_json=args.json,
                stdout=stdout,
                stderr=stderr,
            )

    try:
        stored = store_client(
            services,
            name=name,
            tenant=tenant,
            client_id=client_id,
            secret=secret,
            proof=proof,
            replace=True,
        )
    except KeyNotStored as exc:
        explain_store_failure(exc, stderr)
        if args.with_secret:
            print("The secret came from standard input: its source still has it.", file=stderr)
        return exits.STORAGE
    if proof is not None and proof.token is not None:
        save_cached_token(services, stored.profile, proof.token)
    if args.json:  # the same sentences on stderr; the record on stdout
        _report(stored.profile, stored.backend, proof, tenant, stderr)
        print_stored_json(stored.profile, verified=proof is not None, stdout=stdout)
    else:
        _report(stored.profile, stored.backend, proof, tenant, stdout)
    insecure_backend_notice(services.secrets, stderr)
    return exits.OK


def _read_secret(args: argparse.Namespace, stdin: TextIO, stderr: TextIO) -> ClientSecret | None:
    if args.with_secret:
        text = stdin.read()
    elif stdin.isatty():
        typed = ask_hidden("Paste the client secret (input hidden): ", stderr, closed=INPUT_CLOSED)
        if typed is None:
            return None
        text = typed
    else:
        error(stderr, "no secret given: pipe it on standard input with --with-secret")
        return None
    value = text.strip()
    if not value:
        error(stderr, "the client secret is empty: nothing was stored")
        return None
    if len(value.split()) > 1:
        error(stderr, "the input holds more than one word: pass exactly the client secret")
        return None
    if looks_like_key(value):
        error(
            stderr,
            "that is an API key, not a client secret: store it with `qlik-tui login --tenant "
            "HOST --with-token` (without --oauth-client-id)",
        )
        return None
    return ClientSecret(value)


def _report(
    profile: Profile, backend: str, proof: ClientProof | None, tenant: Tenant, stdout: TextIO
) -> None:
    user = proof.user if proof else None
    if proof is not None and user is not None:
        roles = ", ".join(role.name for role in user.roles) or "no roles"
        print(
            f"✓ The client works: it acts as its bot user {user.name} (user id {user.id}; "
            f"{roles}); {describe_token(proof.token)}.",
            file=stdout,
        )
    else:
        print("Stored without a live test (--no-verify).", file=stdout)
    print(
        f"Stored the secret of OAuth client {profile.client_id} for {tenant.display_host} as "
        f"profile '{profile.name}' in {backend}.",
        file=stdout,
    )
    print(
        f"Use it: `qlik-tui exec {profile.name} -- COMMAND` (an access token in QCS_ACCESS_TOKEN), "
        f"`qlik-tui token {profile.name}`; re-check: `qlik-tui check {profile.name}`.",
        file=stdout,
    )
