"""Mutants that cannot be killed because they change no observable behaviour, with the
reason; the report lists them and leaves them out of the score."""

from __future__ import annotations

# Mutants that change no observable behaviour, by mutmut name, with the reason. They are
# listed in the report and left out of the score's denominator.
_HEADER_CASE = "HTTP header names are case-insensitive (Starlette sends them lower-cased)"
_DEFAULT_UTF8 = "str.encode() encodes UTF-8 by default, and codec names ignore case"
EQUIVALENT: dict[str, str] = {
    "agent_service.api.auth.x__digest__mutmut_4": _DEFAULT_UTF8,
    "agent_service.api.auth.x__digest__mutmut_7": _DEFAULT_UTF8,
    "agent_service.api.auth.x__unauthorized__mutmut_15": _HEADER_CASE,
    "agent_service.api.auth.x__unauthorized__mutmut_16": _HEADER_CASE,
    "agent_service.api_keys.x_parse_api_keys__mutmut_4": (
        "env_name() upper-cases the field name: 'API_KEYS' and 'api_keys' give one variable"
    ),
}
_M = "agent_service.memory."
_FALSY = "None is falsy: the same as False for this flag"
_GATE_NAME = "a gate's name only keys its semaphore: any name but the other gate's is the same"
_MORE_ROWS = "same result, only more rows read (a cost, measured in docs/performance.md)"
_CORE_READ = (
    "these reads always run through Core on an engine without BEGIN IMMEDIATE: a deferred "
    "BEGIN around one SELECT takes no lock on SQLite, and PostgreSQL's readers autocommit"
)
_LIMIT_ZERO = "limit 0 already returned [] above (or gives [] through the window loop too)"
_PREPARED = (
    "prepare() only compiles up front: a statement left out is compiled on its first use "
    "(DriverExecutor._compiled), the same SQL once later"
)
_RECOMPILED = "a cache miss compiles again and setdefault keeps the first: a cost only"
_GATE_CACHE = (
    "the connector's per-loop cache is a shortcut: engine_gate returns the same gate for "
    "the engine, the loop and the name"
)
_AT_DEADLINE = (
    "'>' or '>=' against a float clock: at exactly the deadline the wait ends one poll or "
    "timer turn later, with the same error"
)
EQUIVALENT.update(
    {
        **{
            f"{_M}backends.base.xǁBackendǁ{fn}__mutmut_{n}": _FALSY
            for fn, n in (("run_read", 3), ("list_sessions", 11), ("__init__", 16))
        },
        **{
            f"{_M}backends.sqlite.xǁSqliteBackendǁrun_write__mutmut_{n}": _GATE_NAME
            for n in (2, 6, 7)
        },
        f"{_M}executors.xǁConnectorǁ_on_core__mutmut_2": _CORE_READ,
        # The corrupt-rows fallback taken more often: read_items gives the same items.
        **{f"{_M}store.xǁSessionStoreǁopen_turn__mutmut_{n}": _MORE_ROWS for n in (21, 23)},
        **{
            f"{_M}backends.base.xǁBackendǁ__init____mutmut_{n}": _PREPARED for n in (10, 11, 12, 13)
        },
        **{f"{_M}executors.xǁConnectorǁprepare__mutmut_{n}": _PREPARED for n in (1, 3)},
        **{f"{_M}executors.xǁDriverExecutorǁ_compiled__mutmut_{n}": _RECOMPILED for n in (1, 2)},
        **{f"{_M}executors.xǁConnectorǁgate__mutmut_{n}": _GATE_CACHE for n in (6, 8, 9)},
        f"{_M}executors.xǁConnectorǁ__init____mutmut_27": (
            "the per-loop gate cache is replaced by {} on the first call (no loop seen yet)"
        ),
        f"{_M}gates.xǁGateǁacquire__mutmut_16": (
            "a waiter cancelled while still queued has a cancelled future: waiter.result() "
            "raises the same CancelledError the handler re-raises"
        ),
        f"{_M}gates.xǁGateǁ_expire__mutmut_10": _AT_DEADLINE,
        f"{_M}gates.xǁGateǁ_expire__mutmut_24": (
            "a cost only: the timer is re-armed for a time already past (the waiter's flag "
            "instead of its deadline), so it fires on every loop turn until the deadline; "
            "every waiter still times out at its own deadline"
        ),
        f"{_M}gates.xǁ_FirstConnectionǁensure__mutmut_12": (
            "a cost only: polling every 1 s instead of 1 ms delays the waiters by up to 1 s "
            "once the first connection is open; the suite makes no timed assertions"
        ),
        **{
            f"{_M}executors.xǁDriverExecutorǁrows__mutmut_{n}": (
                "aiosqlite's execute_fetchall is its cursor path (execute, then fetchall) in "
                "one thread hop: a name that no driver has sends aiosqlite down the cursor "
                "path to the same rows, a cost only"
            )
            for n in (12, 13)
        },
        f"{_M}gates.xǁ_FirstConnectionǁensure__mutmut_7": _AT_DEADLINE,
        f"{_M}backends.base.xǁBackendǁlist_sessions__mutmut_20": _CORE_READ,
        f"{_M}store.x_serialize_item__mutmut_5": "json.dumps defaults to ensure_ascii=True",
        **{f"{_M}store.xǁSessionStoreǁread_items__mutmut_{n}": _LIMIT_ZERO for n in (2, 7, 8)},
        **{f"{_M}store.xǁSessionStoreǁread_items__mutmut_{n}": _MORE_ROWS for n in (20, 27, 32)},
    }
)
# env_name() upper-cases the field name, so a mutant that upper-cases its argument names
# the same variable; settings fields and their messages cannot tell them apart.
_ENV_UPPER = "env_name() upper-cases the field name: the message names the same variable"
_D = "agent_service.db."
_A = "agent_service.api."
_RECEIVE_UNUSED = "Starlette's Response.__call__ never calls receive: only scope and send are used"
EQUIVALENT.update(
    {
        f"{_D}migrations.x_find_alembic_ini__mutmut_16": _ENV_UPPER,
        **{f"{_D}urls.x_normalize_database_url__mutmut_{n}": _ENV_UPPER for n in (6, 41, 55)},
        f"{_D}urls.x_derive_alembic_url__mutmut_32": _ENV_UPPER,
        f"{_D}urls.x_derive_alembic_url__mutmut_19": (
            "rpartition: with one '+' it splits like partition; with none or several, "
            "the backend or the driver it yields matches neither list, as with partition, "
            "so both raise the same message"
        ),
        f"{_A}limits.x_check_session_id__mutmut_10": _ENV_UPPER,
        **{f"{_A}limits.x_check_items__mutmut_{n}": _ENV_UPPER for n in (14, 47)},
        f"{_A}limits.x_check_message__mutmut_14": _ENV_UPPER,
        f"{_A}limits.x_check_message__mutmut_19": _DEFAULT_UTF8,
    }
)
_BODY = f"{_A}security.xǁBodySizeLimitMiddlewareǁ"
_HEADERS = f"{_A}security.xǁSecurityHeadersMiddlewareǁ__init____mutmut_"
EQUIVALENT.update(
    {
        f"{_BODY}__call____mutmut_19": (
            "Starlette's Headers lower-cases the name it looks up (Headers.__getitem__)"
        ),
        f"{_BODY}__call____mutmut_20": (
            "the default of an absent Content-Length only feeds isdigit(): "
            "'' and 'XXXX' are both not digits"
        ),
        f"{_BODY}__call____mutmut_25": _RECEIVE_UNUSED,
        f"{_BODY}__call____mutmut_59": _RECEIVE_UNUSED,
        f"{_BODY}_refuse__mutmut_16": _RECEIVE_UNUSED,
        f"{_BODY}__call____mutmut_32": _FALSY,
        **{f"{_BODY}_refuse__mutmut_{n}": _HEADER_CASE for n in (11, 12)},
        **{f"{_HEADERS}{n}": _HEADER_CASE for n in (5, 6, 10, 11, 15, 16, 20, 21)},
        f"{_A}security.xǁAsciiJSONResponseǁrender__mutmut_6": (
            "json.dumps defaults to ensure_ascii=True"
        ),
        f"{_A}security.xǁAsciiJSONResponseǁrender__mutmut_12": (
            "codec names ignore case: 'ASCII' is 'ascii'"
        ),
    }
)
_STACK = f"{_A}security.x_build_security_stack__mutmut_"
_CORS_NAMES = (
    "header names in CORS lists are case-insensitive (Fetch standard); Starlette lower-cases "
    "allow_headers and browsers compare expose_headers without case"
)
EQUIVALENT.update(
    {
        **{f"{_HEADERS}{n}": _HEADER_CASE for n in (25, 26, 32, 33)},
        **{
            f"{_A}security.xǁSecurityHeadersMiddlewareǁ__call____mutmut_{n}": _HEADER_CASE
            for n in (34, 35)
        },
        **{f"{_STACK}{n}": _CORS_NAMES for n in (28, 29, 31, 32, 34, 35, 37, 38, 40, 41)},
        f"{_STACK}30": (
            "Content-Type is a CORS-safelisted header: Starlette's CORSMiddleware always "
            "allows it, listed or not"
        ),
        f"{_STACK}12": _FALSY,
        f"{_STACK}19": "allow_credentials defaults to False in Starlette's CORSMiddleware",
        f"{_STACK}20": "max_age defaults to 600 in Starlette's CORSMiddleware",
        f"{_STACK}44": (
            "with trusted_hosts ['*'] the added TrustedHostMiddleware allows every host: "
            "the same answers, one more layer"
        ),
        f"{_STACK}57": (
            "FastAPI apps always have docs_url, redoc_url and swagger_ui_oauth2_redirect_url: "
            "getattr's default is never used"
        ),
    }
)
