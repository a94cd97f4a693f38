"""The approval policy: a versioned file of rules over tool calls and facts about them."""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field

Op = Literal[">=", ">", "<=", "<", "==", "!="]
OPS: Mapping[str, Callable[[Any, Any], bool]] = {
    ">=": operator.ge,
    ">": operator.gt,
    "<=": operator.le,
    "<": operator.lt,
    "==": operator.eq,
    "!=": operator.ne,
}
DURATION = re.compile(r"^P(?:(?P<d>\d+)D)?(?:T(?:(?P<h>\d+)H)?(?:(?P<m>\d+)M)?(?:(?P<s>\d+)S)?)?$")


def parse_duration(text: str) -> timedelta:
    """An ISO-8601 duration of days, hours, minutes and seconds (`P1D`, `PT4H`, `PT90S`)."""
    match = DURATION.match(text)
    if not match or text in ("P", "PT"):
        raise ValueError(f"{text!r} is not an ISO-8601 duration like PT4H or P1D")
    parts = {k: int(v) for k, v in match.groupdict().items() if v}
    return timedelta(
        days=parts.get("d", 0),
        hours=parts.get("h", 0),
        minutes=parts.get("m", 0),
        seconds=parts.get("s", 0),
    )


class Condition(BaseModel):
    model_config = ConfigDict(extra="forbid")

    fact: str
    op: Op
    value: Any
    per_currency: dict[str, Any] = Field(default_factory=dict)

    def judge(self, facts: Mapping[str, Any]) -> bool | None:
        """Whether the condition holds; None when it cannot be judged (a fact it needs is
        unknown, or not comparable): the policy then fails closed, never open."""
        if self.unknown(facts):
            return None
        threshold = self.value
        if self.per_currency:
            threshold = self.per_currency.get(str(facts["currency"]).upper(), self.value)
        try:
            return bool(OPS[self.op](facts[self.fact], threshold))
        except TypeError:
            return None

    def unknown(self, facts: Mapping[str, Any]) -> list[str]:
        """The facts this condition needs that are not established."""
        needed = [self.fact, "currency"] if self.per_currency else [self.fact]
        return [name for name in needed if facts.get(name) is None]

    def holds(self, facts: Mapping[str, Any]) -> bool:
        return self.judge(facts) is True


class Proposal(BaseModel):
    """The action a rule proposes instead of the gated one (`{name}` fills from facts)."""

    model_config = ConfigDict(extra="forbid")

    action: str
    args: dict[str, Any] = Field(default_factory=dict)

    def render(self, facts: Mapping[str, Any]) -> dict[str, Any]:
        return {
            key: value.format(**facts) if isinstance(value, str) else value
            for key, value in self.args.items()
        }


class Rule(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    description: str
    tools: list[str] = Field(min_length=1)
    when: list[Condition] = Field(default_factory=list)
    approvers: int = Field(default=1, ge=1, le=5)
    deadline: str | None = None
    warn_before: str | None = None
    on_expiry: Literal["reject", "accept"] | None = None
    propose: Proposal | None = None

    def judge(self, tool: str, facts: Mapping[str, Any]) -> Judgement | None:
        """None when the rule does not apply or a condition is known to be false; otherwise
        the rule fires, or (when it needs facts nobody could establish) counts as fired."""
        if tool not in self.tools:
            return None
        verdicts = [(condition, condition.judge(facts)) for condition in self.when]
        if any(verdict is False for _, verdict in verdicts):
            return None
        missing: list[str] = []
        for condition, verdict in verdicts:
            if verdict is None:
                missing += [
                    n for n in condition.unknown(facts) or [condition.fact] if n not in missing
                ]
        return Judgement(self, tuple(missing))

    def fires(self, tool: str, facts: Mapping[str, Any]) -> bool:
        judgement = self.judge(tool, facts)
        return judgement is not None and not judgement.missing


@dataclass(frozen=True)
class Judgement:
    """A rule that applies to a call: it fired, or it could not be judged for lack of facts."""

    rule: Rule
    missing: tuple[str, ...] = ()


class Defaults(BaseModel):
    model_config = ConfigDict(extra="forbid")

    deadline: str = "PT4H"
    warn_before: str = "PT1H"
    on_expiry: Literal["reject", "accept"] = "reject"


@dataclass(frozen=True)
class Requirement:
    """What the applying rules require of one tool call.

    A rule that could not be judged counts as the worst case (its approvers, deadline and
    expiry apply), but its proposal does not: a reviewer is asked about the call itself.
    """

    rules: tuple[Rule, ...]
    approvers: int
    deadline: timedelta
    warn_before: timedelta
    on_expiry: Literal["reject", "accept"]
    proposal: Proposal | None
    missing: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """Rule id -> the facts it needed that could not be established."""

    @property
    def rule_ids(self) -> list[str]:
        return [rule.id for rule in self.rules]


class Policy(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: str = Field(min_length=1)
    defaults: Defaults = Field(default_factory=Defaults)
    rules: list[Rule]

    def gated_tools(self) -> set[str]:
        return {tool for rule in self.rules for tool in rule.tools}

    def evaluate(self, tool: str, facts: Mapping[str, Any]) -> Requirement | None:
        """The approval a tool call needs, or None when no rule applies. Rules that cannot
        be judged for lack of a fact apply too: a missing fact never waves a call through."""
        judged = [j for rule in self.rules if (j := rule.judge(tool, facts)) is not None]
        if not judged:
            return None
        fired = tuple(j.rule for j in judged)
        deadline = min(parse_duration(r.deadline or self.defaults.deadline) for r in fired)
        warn = max(parse_duration(r.warn_before or self.defaults.warn_before) for r in fired)
        expiries = {r.on_expiry or self.defaults.on_expiry for r in fired}
        return Requirement(
            rules=fired,
            approvers=max(rule.approvers for rule in fired),
            deadline=deadline,
            warn_before=min(warn, deadline),
            on_expiry="reject" if "reject" in expiries else "accept",
            proposal=next(
                (j.rule.propose for j in judged if j.rule.propose and not j.missing), None
            ),
            missing={j.rule.id: j.missing for j in judged if j.missing},
        )


def parse_policy(text: str) -> Policy:
    policy = Policy.model_validate(yaml.safe_load(text))
    for rule in policy.rules:
        for duration in (rule.deadline, rule.warn_before):
            if duration:
                parse_duration(duration)
    return policy


@lru_cache(maxsize=8)
def load_policy(path: Path | None = None) -> Policy:
    """The policy at `path` (OPSGRAPH_POLICY_FILE), or the one that ships."""
    if path is None:
        text = resources.files("hitl").joinpath("policy.default.yaml").read_text("utf-8")
    else:
        text = path.read_text("utf-8")
    return parse_policy(text)
