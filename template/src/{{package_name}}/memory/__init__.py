"""Agent memory: conversation history compatible with the OpenAI Agents SDK."""
