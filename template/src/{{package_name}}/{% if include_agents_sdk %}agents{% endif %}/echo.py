"""``echo``: an offline, deterministic model for development, demos, tests and benchmarks.

It implements the SDK's ``Model`` interface, so the whole agent stack (Runner, session
memory, streaming) runs for real without network access. Its reply proves that the
conversation history reached the model::

    echo: <the last user message> (history: <items before it>)
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator
from typing import Any

from agents import (
    AgentOutputSchemaBase,
    Handoff,
    Model,
    ModelResponse,
    ModelSettings,
    ModelTracing,
    Tool,
    TResponseInputItem,
    Usage,
)
from agents.items import TResponseStreamEvent
from openai.types.responses import (
    Response,
    ResponseCompletedEvent,
    ResponseContentPartAddedEvent,
    ResponseContentPartDoneEvent,
    ResponseCreatedEvent,
    ResponseOutputItemAddedEvent,
    ResponseOutputItemDoneEvent,
    ResponseOutputMessage,
    ResponseOutputText,
    ResponseTextDeltaEvent,
    ResponseTextDoneEvent,
)
from openai.types.responses.response_prompt_param import ResponsePromptParam

ECHO_MODEL_NAME = "echo"
_ids = itertools.count(1)


def last_user_text(items: str | list[TResponseInputItem]) -> str:
    """The text of the newest user message in the model input."""
    if isinstance(items, str):
        return items
    for item in reversed(items):
        if isinstance(item, dict) and item.get("role") == "user":
            return _text_of(item.get("content"))
    return ""


def _text_of(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(
            str(part.get("text", ""))
            for part in content
            if isinstance(part, dict) and part.get("type") in ("input_text", "output_text")
        )
    return ""


def echo_reply(items: str | list[TResponseInputItem]) -> str:
    history = 0 if isinstance(items, str) else max(len(items) - 1, 0)
    noun = "item" if history == 1 else "items"
    return f"echo: {last_user_text(items)} (history: {history} {noun})"


class EchoModel(Model):
    """Replies instantly (or after ``delay_seconds``, to simulate model latency)."""

    def __init__(self, delay_seconds: float = 0.0) -> None:
        self.delay_seconds = delay_seconds

    async def get_response(
        self,
        system_instructions: str | None,
        input: str | list[TResponseInputItem],
        model_settings: ModelSettings,
        tools: list[Tool],
        output_schema: AgentOutputSchemaBase | None,
        handoffs: list[Handoff],
        tracing: ModelTracing,
        *,
        previous_response_id: str | None = None,
        conversation_id: str | None = None,
        prompt: ResponsePromptParam | None = None,
    ) -> ModelResponse:
        await self._think()
        message = _message(f"msg_echo_{next(_ids)}", echo_reply(input))
        return ModelResponse(output=[message], usage=Usage(requests=1), response_id=None)

    async def stream_response(
        self,
        system_instructions: str | None,
        input: str | list[TResponseInputItem],
        model_settings: ModelSettings,
        tools: list[Tool],
        output_schema: AgentOutputSchemaBase | None,
        handoffs: list[Handoff],
        tracing: ModelTracing,
        *,
        previous_response_id: str | None = None,
        conversation_id: str | None = None,
        prompt: ResponsePromptParam | None = None,
    ) -> AsyncIterator[TResponseStreamEvent]:
        await self._think()
        number = next(_ids)
        item_id = f"msg_echo_{number}"
        text = echo_reply(input)
        # Word by word, so clients see several deltas, as from a real model.
        words = text.split(" ")
        deltas = [word + " " for word in words[:-1]] + [words[-1]]
        message = _message(item_id, text)
        in_progress = _response(f"resp_echo_{number}", [], "in_progress")
        sequence = itertools.count()
        yield ResponseCreatedEvent(
            type="response.created", response=in_progress, sequence_number=next(sequence)
        )
        yield ResponseOutputItemAddedEvent(
            type="response.output_item.added",
            item=message.model_copy(update={"content": [], "status": "in_progress"}),
            output_index=0,
            sequence_number=next(sequence),
        )
        yield ResponseContentPartAddedEvent(
            type="response.content_part.added",
            item_id=item_id,
            output_index=0,
            content_index=0,
            part=ResponseOutputText(type="output_text", text="", annotations=[]),
            sequence_number=next(sequence),
        )
        for delta in deltas:
            yield ResponseTextDeltaEvent(
                type="response.output_text.delta",
                item_id=item_id,
                output_index=0,
                content_index=0,
                delta=delta,
                logprobs=[],
                sequence_number=next(sequence),
            )
        yield ResponseTextDoneEvent(
            type="response.output_text.done",
            item_id=item_id,
            output_index=0,
            content_index=0,
            text=text,
            logprobs=[],
            sequence_number=next(sequence),
        )
        yield ResponseContentPartDoneEvent(
            type="response.content_part.done",
            item_id=item_id,
            output_index=0,
            content_index=0,
            part=message.content[0],
            sequence_number=next(sequence),
        )
        yield ResponseOutputItemDoneEvent(
            type="response.output_item.done",
            item=message,
            output_index=0,
            sequence_number=next(sequence),
        )
        yield ResponseCompletedEvent(
            type="response.completed",
            response=_response(f"resp_echo_{number}", [message], "completed"),
            sequence_number=next(sequence),
        )

    async def _think(self) -> None:
        if self.delay_seconds > 0:
            await asyncio.sleep(self.delay_seconds)


def _message(item_id: str, text: str) -> ResponseOutputMessage:
    return ResponseOutputMessage(
        id=item_id,
        type="message",
        role="assistant",
        status="completed",
        content=[ResponseOutputText(type="output_text", text=text, annotations=[])],
    )


def _response(response_id: str, output: list[Any], status: Any) -> Response:
    return Response(
        id=response_id,
        created_at=0,
        model=ECHO_MODEL_NAME,
        object="response",
        output=output,
        tool_choice="none",
        tools=[],
        top_p=None,
        parallel_tool_calls=False,
        status=status,
    )
