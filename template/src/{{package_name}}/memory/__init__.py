"""Agent memory: conversation history compatible with the OpenAI Agents SDK."""

from .store import (
    ANONYMOUS_OWNER,
    MemorySession,
    SessionNotFoundError,
    SessionStore,
    SessionSummary,
    serialize_item,
)

__all__ = [
    "ANONYMOUS_OWNER",
    "MemorySession",
    "SessionNotFoundError",
    "SessionStore",
    "SessionSummary",
    "serialize_item",
]
