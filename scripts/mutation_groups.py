"""What `make mutation` mutates: module groups, the tests that cover each, and the
backends each runs on."""

from __future__ import annotations

from dataclasses import dataclass, field

PACKAGE = "agent_service"
BACKENDS = ("sqlite", "postgresql")
# A test that runs longer fails (pytest-timeout): a mutant that makes a wait endless is
# killed by the test it hangs. The slowest test of these groups takes about 5 s alone.
PER_TEST_TIMEOUT = 20  # seconds


@dataclass(frozen=True)
class Group:
    name: str
    modules: tuple[str, ...]  # paths under src/<package>/
    tests: tuple[str, ...]
    backends: tuple[str, ...] = ("sqlite",)  # where the code differs per backend: both
    # Modules mutated again on another backend: only those whose code takes another path
    # there (a mutant killed on any backend counts as killed; see the report's merge).
    modules_on: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def modules_for(self, backend: str) -> tuple[str, ...]:
        return self.modules_on.get(backend, self.modules)


GROUPS = {  # in order of priority: a run that is cut short still covers the first
    group.name: group
    for group in (
        Group(
            "auth",
            ("api/auth.py", "api_keys.py"),
            ("test_exact_keys.py", "test_security_config.py", "test_security_api.py"),
        ),
        Group(
            "memory",
            ("memory/*",),
            (
                "test_memory_isolation.py",
                "test_memory_store.py",
                "test_memory_contract.py",
                "test_memory_gates.py",
                "test_memory_connections.py",
                "test_memory_pool_slots.py",
                "test_sqlite_writers.py",
                "test_sqlite_units.py",
                "test_sqlite_group_commit.py",
            ),
            BACKENDS,
            # store.py, base.py and the SQLite/MySQL backends run the same code whatever
            # the server; what PostgreSQL changes is its backend, the asyncpg executor
            # and the backend choice.
            {
                "postgresql": (
                    "memory/backends/postgresql.py",
                    "memory/backends/__init__.py",
                    "memory/executors.py",
                )
            },
        ),
        Group(
            "health",
            ("api/health.py", "db/migrations.py"),
            ("test_health.py", "test_schema_behind.py", "test_migration_config.py"),
            BACKENDS,
        ),
        Group(
            "urls",
            ("db/urls.py",),
            ("test_settings.py", "test_bad_config.py", "test_mysql.py", "test_database_urls.py"),
        ),
        Group(
            "limits+security",
            ("api/limits.py", "api/security.py"),
            (
                "test_security_api.py",
                "test_security_config.py",
                "test_sessions_api.py",
                "test_limits.py",
                "test_security_middleware.py",
                "test_security_stack.py",
            ),
        ),
    )
}


def dotted(module: str) -> str:
    """``memory/backends/__init__.py`` -> ``memory.backends``, as mutmut names start."""
    return module.removesuffix(".py").removesuffix("/__init__").replace("/", ".")


def module_of(mutant: str) -> str:
    """The dotted module (without the package) of a mutmut mutant name."""
    return mutant.split(".x", 1)[0].removeprefix(f"{PACKAGE}.")
