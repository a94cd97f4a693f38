"""Messages that carry no intent still get an answer, never a failed run."""

from __future__ import annotations

import pytest

from runtime.resources import Resources
from tests.graph.chat.support import Conversation, compile_chat, gated


@pytest.mark.parametrize("text", ["0", " ", "?", "!!!", "\u00e9", "yes", "no", "1e400"])
async def test_a_message_without_intent_gets_a_reply(resources: Resources, text: str) -> None:
    chat = Conversation(compile_chat(resources), gated(resources))
    reply = await chat.say(text)
    assert reply.strip()
