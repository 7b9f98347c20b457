"""PostgreSQL URL query options as providers hand them out, made to work for every driver.

Connection strings carry libpq options (``?sslmode=require&application_name=svc``) and,
from Prisma-oriented guides, Prisma's own (``?schema=public&connection_limit=1``).
psycopg (migrations) passes libpq options to libpq, which refuses anything else;
asyncpg (the service) takes keyword arguments and refuses unknown ones. So:

* :func:`provider_options` (settings time) validates every option, turns Prisma's into
  what they mean (``schema`` -> ``search_path``; pool limits -> the pool settings) and
  leaves a URL that only carries options libpq or asyncpg understand;
* :func:`asyncpg_connect_args` (engine time) moves the query into asyncpg's keyword
  arguments (``server_settings``, ``ssl``, ``target_session_attrs``);
* :func:`libpq_url` gives the URL psycopg migrates with.

No message repeats an option's value except file names and enumerations, which are
never secret. See docs/configuration.md ("Database URL options").
"""

from __future__ import annotations

import shlex
import ssl
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import URL

SSL_MODES = ("disable", "allow", "prefer", "require", "verify-ca", "verify-full")
TARGET_SESSION_ATTRS = ("any", "primary", "standby", "prefer-standby", "read-write", "read-only")
# libpq options asyncpg has no equivalent for: dropped for the service (a warning says
# so), kept for migrations, where libpq applies them.
IGNORED_BY_ASYNCPG = frozenset(
    {
        "channel_binding",
        "gssencmode",
        "keepalives",
        "keepalives_idle",
        "keepalives_interval",
        "keepalives_count",
        "sslcompression",
        "tcp_user_timeout",
    }
)
# asyncpg's own keyword arguments that SQLAlchemy documents as URL options: passed on to
# asyncpg, left out of the migration URL (libpq does not know them).
ASYNCPG_ONLY: dict[str, type[int] | type[float]] = {
    "prepared_statement_cache_size": int,  # 0 switches the cache off
    "command_timeout": float,
}
# SQLAlchemy reads these itself (several hosts: ?host=a:5432&host=b:5432).
SQLALCHEMY_OWN = frozenset({"host", "port"})
TRANSLATED = frozenset(
    {"application_name", "options", "connect_timeout", "sslmode", "ssl", "sslrootcert"}
    | {"target_session_attrs"}
)
PRISMA_ONLY = frozenset({"schema", "connection_limit", "pool_timeout"})
KNOWN = TRANSLATED | IGNORED_BY_ASYNCPG | SQLALCHEMY_OWN | set(ASYNCPG_ONLY) | PRISMA_ONLY


class InvalidUrlOption(ValueError):
    """An option in the URL's query is unknown or has an unusable value."""


@dataclass(frozen=True)
class ProviderOptions:
    """The URL with Prisma's options resolved, and the settings those options give."""

    url: URL
    # Settings field -> value (e.g. database_connect_timeout_seconds from connect_timeout).
    settings: dict[str, int | float] = field(default_factory=dict)


def _single(url: URL, name: str) -> str:
    value = url.query[name]
    if isinstance(value, tuple):
        raise InvalidUrlOption(f"the option '{name}' is given more than once")
    return value


def _number(
    url: URL, name: str, kind: type[int] | type[float], hint: str, *, zero: bool = False
) -> int | float:
    raw = _single(url, name)
    try:
        value = kind(raw)
    except ValueError:
        raise InvalidUrlOption(f"the option '{name}' must be a number ({hint})") from None
    if value < 0 or (value == 0 and not zero):
        # libpq and Prisma read a timeout of 0 as "wait forever"; every wait is bounded.
        bound = "0 or more" if zero else "greater than 0"
        raise InvalidUrlOption(f"the option '{name}' must be {bound} ({hint})")
    return value


def parse_server_options(raw: str) -> dict[str, str]:
    """libpq's ``options``: ``-c name=value`` / ``--name=value``, space-separated."""
    try:
        words = shlex.split(raw)
    except ValueError:
        raise InvalidUrlOption("the option 'options' is not a valid option string") from None
    settings: dict[str, str] = {}
    index = 0
    while index < len(words):
        word = words[index]
        if word == "-c" and index + 1 < len(words):
            assignment = words[index + 1]
            index += 2
        elif (word.startswith("-c") and len(word) > 2) or (word.startswith("--") and "=" in word):
            assignment, index = word[2:], index + 1
        else:
            raise InvalidUrlOption(
                "the option 'options' may only hold server settings "
                "('-c name=value' or '--name=value')"
            )
        name, separator, value = assignment.partition("=")
        if not separator or not name:
            raise InvalidUrlOption("the option 'options' has a setting without '=value'")
        settings[name.replace("-", "_")] = value
    return settings


def _format_server_options(settings: dict[str, str]) -> str:
    # libpq splits on spaces; a backslash keeps one inside a value.
    return " ".join(
        f"-c {name}={value.replace(chr(92), chr(92) * 2).replace(' ', chr(92) + ' ')}"
        for name, value in settings.items()
    )


def provider_options(url: URL) -> ProviderOptions:
    """Validate a PostgreSQL URL's options; resolve Prisma's (settings time).

    Unknown options are refused for asyncpg only: a psycopg URL hands them to libpq,
    which knows many more (``sslcert``, ``passfile``, ...) and judges them itself.
    """
    unknown = sorted(set(url.query) - KNOWN) if url.get_driver_name() == "asyncpg" else []
    if unknown:
        raise InvalidUrlOption(
            f"unknown option(s) {', '.join(repr(name) for name in unknown)} in the query; "
            "see docs/configuration.md for the options the service understands"
        )
    resolved: dict[str, int | float] = {}
    if "connect_timeout" in url.query:
        resolved["database_connect_timeout_seconds"] = _number(
            url, "connect_timeout", float, "seconds"
        )
    if "connection_limit" in url.query:
        # Prisma's pool is connection_limit connections, never more.
        resolved["database_pool_size"] = int(
            _number(url, "connection_limit", int, "Prisma's pool size")
        )
        resolved["database_max_overflow"] = 0
    if "pool_timeout" in url.query:
        resolved["database_pool_timeout_seconds"] = _number(url, "pool_timeout", float, "seconds")
    server = parse_server_options(_single(url, "options")) if "options" in url.query else {}
    if "schema" in url.query:
        if "search_path" in server:
            raise InvalidUrlOption(
                "the options 'schema' and 'options=-c search_path=...' contradict each other"
            )
        # Prisma's schema is the schema every query (and migration) works in.
        server["search_path"] = _single(url, "schema")
    for name in ("sslmode", "ssl"):
        if name in url.query and _single(url, name) not in SSL_MODES:
            raise InvalidUrlOption(f"the option '{name}' must be one of {', '.join(SSL_MODES)}")
    attrs = url.query.get("target_session_attrs")
    if attrs is not None and _single(url, "target_session_attrs") not in TARGET_SESSION_ATTRS:
        raise InvalidUrlOption(
            "the option 'target_session_attrs' must be one of " + ", ".join(TARGET_SESSION_ATTRS)
        )
    # Builds the SSL context once, so a missing or unreadable CA file fails check-config.
    _ssl_argument(url)
    for name, kind in ASYNCPG_ONLY.items():
        if name in url.query:
            _number(url, name, kind, "see asyncpg's connect()", zero=kind is int)

    url = url.difference_update_query(["schema", "connection_limit", "pool_timeout", "options"])
    if server:
        url = url.update_query_dict({"options": _format_server_options(server)})
    return ProviderOptions(url=url, settings=resolved)


def _ssl_root_certificate(url: URL) -> str:
    value = _single(url, "sslrootcert")
    if value != "system" and not Path(value).expanduser().is_file():
        raise InvalidUrlOption(
            f"the option 'sslrootcert' names a file that does not exist: {value}"
        )
    return value


def _ssl_argument(url: URL) -> str | ssl.SSLContext | None:
    mode = url.query.get("sslmode") or url.query.get("ssl")
    assert mode is None or isinstance(mode, str)  # provider_options refused repeats
    if "sslrootcert" not in url.query:
        return mode  # asyncpg takes libpq's modes by name
    root = _ssl_root_certificate(url)
    # libpq: a root certificate makes "require" verify the server's certificate chain.
    mode = mode if mode in ("verify-ca", "verify-full") else "verify-ca"
    try:
        if root == "system":
            context = ssl.create_default_context()
        else:
            context = ssl.create_default_context(cafile=str(Path(root).expanduser()))
    except (ssl.SSLError, OSError):
        raise InvalidUrlOption(
            f"the option 'sslrootcert' names a file that holds no PEM certificate: {root}"
        ) from None
    # verify-ca checks the chain only; verify-full the host name as well.
    context.check_hostname = mode == "verify-full"
    return context


def asyncpg_connect_args(url: URL) -> tuple[URL, dict[str, Any]]:
    """The URL without its query (asyncpg refuses unknown keywords) and asyncpg's kwargs.

    ``connect_timeout`` is not among them: the settings carry it as the connect
    timeout, which the engine passes as asyncpg's ``timeout``.
    """
    args: dict[str, Any] = {}
    server: dict[str, str] = {}
    if "application_name" in url.query:
        server["application_name"] = _single(url, "application_name")
    if "options" in url.query:
        server.update(parse_server_options(_single(url, "options")))
    if server:
        args["server_settings"] = server
    ssl_argument = _ssl_argument(url)
    if ssl_argument is not None:
        args["ssl"] = ssl_argument
    if "target_session_attrs" in url.query:
        args["target_session_attrs"] = _single(url, "target_session_attrs")
    for name, kind in ASYNCPG_ONLY.items():
        if name in url.query:
            args[name] = kind(_single(url, name))
    keep = {name: value for name, value in url.query.items() if name in SQLALCHEMY_OWN}
    return url.set(query=keep), args


def ignored_by_asyncpg(url: URL) -> list[str]:
    """The options the service's driver cannot apply (the caller warns about them)."""
    return sorted(name for name in url.query if name in IGNORED_BY_ASYNCPG)


def libpq_url(url: URL) -> URL:
    """The query psycopg (libpq) accepts: libpq's spelling, no asyncpg-only keywords."""
    if "ssl" in url.query and "sslmode" not in url.query:
        url = url.difference_update_query(["ssl"]).update_query_dict({"sslmode": url.query["ssl"]})
    return url.difference_update_query(list(ASYNCPG_ONLY))
