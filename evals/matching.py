"""Matching what a run did against what a case expects: tool trajectories (through
agentevals' match modes), tool arguments, and subset matches of JSON values."""

from __future__ import annotations

import json
import warnings
from collections.abc import Mapping, Sequence
from typing import Any, Literal

ArgsMode = Literal["exact", "subset", "ignore"]
TrajectoryMode = Literal["strict", "unordered", "subset", "superset"]

DEFAULT_ARGS_MODE: ArgsMode = "subset"


def is_subset(expected: Any, actual: Any) -> bool:
    """Every key of `expected` is in `actual` with a matching value (recursively); lists
    match item by item in order and must have the same length; numbers compare by value."""
    if isinstance(expected, Mapping):
        return isinstance(actual, Mapping) and all(
            key in actual and is_subset(value, actual[key]) for key, value in expected.items()
        )
    if isinstance(expected, list):
        return (
            isinstance(actual, list)
            and len(expected) == len(actual)
            and all(is_subset(e, a) for e, a in zip(expected, actual, strict=True))
        )
    if isinstance(expected, bool) or isinstance(actual, bool):
        return expected is actual
    if isinstance(expected, int | float) and isinstance(actual, int | float):
        return abs(float(expected) - float(actual)) < 1e-9
    return bool(expected == actual)


def args_match(mode: ArgsMode, expected: Mapping[str, Any], actual: Mapping[str, Any]) -> bool:
    if mode == "ignore":
        return True
    if mode == "exact":
        return dict(expected) == dict(actual)
    return is_subset(expected, actual)


def args_mode(modes: Mapping[str, str], tool: str) -> ArgsMode:
    mode = modes.get(tool) or modes.get("*") or DEFAULT_ARGS_MODE
    return mode  # type: ignore[return-value]


def as_messages(calls: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """OpenAI-style assistant messages, one per tool call (agentevals' input shape)."""
    return [
        {
            "role": "assistant",
            "content": "",
            "tool_calls": [
                {
                    "function": {
                        "name": str(call["name"]),
                        "arguments": json.dumps(call.get("args") or {}, sort_keys=True),
                    }
                }
            ],
        }
        for call in calls
    ]


def overrides(modes: Mapping[str, str], names: set[str], *, reversed_roles: bool) -> dict[str, str]:
    """Our per-tool modes in agentevals' terms. Our `subset` means "the expected arguments
    are within the actual ones": agentevals' `superset` when the run's calls are its outputs,
    its `subset` when the roles are swapped."""
    subset = "subset" if reversed_roles else "superset"
    return {
        name: subset if (mode := args_mode(modes, name)) == "subset" else mode for name in names
    }


def trajectory_match(
    mode: TrajectoryMode,
    expected: Sequence[Mapping[str, Any]],
    actual: Sequence[Mapping[str, Any]],
    modes: Mapping[str, str],
) -> bool:
    """agentevals' trajectory match in `mode`, with per-tool argument modes.

    agentevals' `unordered` and `subset` check containment both ways with one argument
    matcher, which turns an asymmetric matcher (subset) the wrong way round in one direction;
    so those two are composed here from its `superset` match run in each direction with the
    matcher oriented for that direction. `strict` and `superset` are agentevals' own.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from agentevals.trajectory.match import create_trajectory_match_evaluator

    names = {str(c["name"]) for c in (*expected, *actual)}
    out, ref = as_messages(actual), as_messages(expected)

    def run(kind: str, outputs: list[dict[str, Any]], reference: list[dict[str, Any]]) -> bool:
        evaluator = create_trajectory_match_evaluator(
            trajectory_match_mode=kind,
            tool_args_match_mode="exact",
            tool_args_match_overrides=overrides(modes, names, reversed_roles=outputs is ref),
        )
        return bool(evaluator(outputs=outputs, reference_outputs=reference)["score"])

    if mode == "strict":
        return run("strict", out, ref)
    if mode == "superset":
        return run("superset", out, ref)
    if mode == "subset":
        return run("superset", ref, out)
    return run("superset", out, ref) and run("superset", ref, out)


def argument_accuracy(
    expected: Sequence[Mapping[str, Any]],
    actual: Sequence[Mapping[str, Any]],
    modes: Mapping[str, str],
) -> tuple[int, int]:
    """(expected calls made with matching arguments, expected calls made at all): each
    expected call is paired with the first unpaired actual call of its name that matches,
    else the first of its name."""
    used: set[int] = set()
    right = made = 0
    for call in expected:
        name = str(call["name"])
        candidates = [i for i, a in enumerate(actual) if a["name"] == name and i not in used]
        if not candidates:
            continue
        made += 1
        mode = args_mode(modes, name)
        good = [
            i for i in candidates if args_match(mode, call.get("args") or {}, actual[i]["args"])
        ]
        used.add(good[0] if good else candidates[0])
        right += bool(good)
    return right, made
