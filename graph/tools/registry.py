"""Every tool by name, for direct operator calls and scripted runs."""

from __future__ import annotations

from collections.abc import Mapping

from langchain_core.tools import BaseTool

from graph.tools.attention import raise_attention_tool
from graph.tools.billing import BILLING_TOOLS
from graph.tools.cms import CMS_TOOLS
from graph.tools.crm import CRM_TOOLS
from graph.tools.disputes import DISPUTE_TOOLS
from graph.tools.ecommerce import ECOMMERCE_TOOLS
from graph.tools.engagement import ENGAGEMENT_TOOLS
from graph.tools.integration import INTEGRATION_TOOLS
from graph.tools.knowledge import KNOWLEDGE_TOOLS
from graph.tools.merchandising import MERCHANDISING_TOOLS
from graph.tools.orders import ORDER_TOOLS
from graph.tools.retail import RETAIL_TOOLS
from graph.tools.subscriptions import SUBSCRIPTION_TOOLS
from graph.toolset import ToolRegistry

TOOLS_BY_DOMAIN: Mapping[str, tuple[BaseTool, ...]] = {
    "crm": CRM_TOOLS + ENGAGEMENT_TOOLS,
    "ecommerce": ECOMMERCE_TOOLS + ORDER_TOOLS + MERCHANDISING_TOOLS + RETAIL_TOOLS,
    "billing": BILLING_TOOLS + DISPUTE_TOOLS + SUBSCRIPTION_TOOLS,
    "cms": CMS_TOOLS,
    "integration": INTEGRATION_TOOLS,
}

SHARED_TOOLS: tuple[BaseTool, ...] = (*KNOWLEDGE_TOOLS, raise_attention_tool)
"""Tools of no one domain: the knowledge base, searched by specialists of several, and the
attention item any specialist raises when it cannot reach its goal."""

ALL_TOOLS: Mapping[str, BaseTool] = {
    tool.name: tool for tools in (*TOOLS_BY_DOMAIN.values(), SHARED_TOOLS) for tool in tools
}


def build_tool_registry() -> ToolRegistry:
    """The registry the composition root hands down: every tool above, by name."""
    return ToolRegistry(ALL_TOOLS.values())
