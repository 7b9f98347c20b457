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
EQUIVALENT.update(
    {
        **{
            f"{_M}backends.base.xǁBackendǁ{fn}__mutmut_{n}": _FALSY
            for fn, n in (("read", 10), ("read", 27), ("owner_of", 6), ("list_sessions", 11))
        },
        f"{_M}backends.base.xǁBackendǁ__init____mutmut_14": _FALSY,
        **{
            f"{_M}backends.sqlite.xǁSqliteBackendǁ_write__mutmut_{n}": _GATE_NAME
            for n in (7, 12, 13)
        },
        **{f"{_M}executors.xǁConnectorǁrun__mutmut_{n}": _GATE_NAME for n in (11, 16, 17)},
        f"{_M}executors.xǁConnectorǁ_run__mutmut_17": "SQL keywords are case-insensitive",
        **{
            f"{_M}backends.base.xǁBackendǁ{fn}__mutmut_{n}": _CORE_READ
            for fn, n in (("owner_of", 17), ("list_sessions", 20))
        },
        f"{_M}store.x_serialize_item__mutmut_5": "json.dumps defaults to ensure_ascii=True",
        **{f"{_M}store.xǁSessionStoreǁread_items__mutmut_{n}": _LIMIT_ZERO for n in (2, 7, 8)},
        **{f"{_M}store.xǁSessionStoreǁread_items__mutmut_{n}": _MORE_ROWS for n in (20, 27, 32)},
    }
)
