"""docs/settings-reference.md is generated from the rendered Settings model: it cannot drift."""

from __future__ import annotations

from scripts.settings_reference import PAGE, generate, rendered_fields


def test_reference_page_matches_the_settings_model() -> None:
    prefix, fields = rendered_fields()
    expected = generate(prefix, fields)
    assert PAGE.read_text(encoding="utf-8") == expected, (
        "docs/settings-reference.md is stale: run `uv run python -m scripts.settings_reference`"
    )
    # One row per field, each with its environment variable and a description.
    rows = [line for line in expected.splitlines() if line.startswith("| `")]
    assert len(rows) == len(fields)
    for name, field in fields.items():
        assert field.description, f"Settings.{name} has no docstring (its description)"
        variable = "OPENAI_API_KEY" if name == "openai_api_key" else f"{prefix}{name.upper()}"
        assert any(row.startswith(f"| `{variable}`") for row in rows), variable
