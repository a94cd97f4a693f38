"""τ-bench's `calculate`: arithmetic on numbers, `+ - * /`, parentheses and spaces.

τ-bench answers `str(round(float(eval(expression)), 2))`. This evaluates the parsed
expression with Python's own operators instead, so results and error messages match (same
parser, same arithmetic) without running `eval`. One deliberate difference: an integer power
too large to compute in reasonable time is refused (τ-bench would hang on `9**9**9**9`).
"""

from __future__ import annotations

import ast
import math
import operator
from collections.abc import Callable
from typing import Any

ALLOWED_CHARACTERS = frozenset("0123456789+-*/(). ")
# Integers beyond this many bits stop being arithmetic anyone asks a support agent for.
MAX_POWER_BITS = 1_000_000

BINARY: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Pow: operator.pow,
}
UNARY: dict[type[ast.unaryop], Callable[[Any], Any]] = {
    ast.UAdd: operator.pos,
    ast.USub: operator.neg,
}


def calculate(expression: str) -> str:
    if not all(char in ALLOWED_CHARACTERS for char in expression):
        return "Error: invalid characters in expression"
    try:
        return str(round(float(evaluate(expression)), 2))
    except Exception as error:  # τ-bench answers any failure as "Error: <exception>"
        return f"Error: {error}"


def evaluate(expression: str) -> Any:
    # `eval` skips leading spaces and tabs before parsing; so does this.
    tree = ast.parse(expression.lstrip(" \t"), filename="<string>", mode="eval")
    return value_of(tree.body)


def value_of(node: ast.expr) -> Any:
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.BinOp) and type(node.op) in BINARY:
        left, right = value_of(node.left), value_of(node.right)
        if isinstance(node.op, ast.Pow):
            check_power(left, right)
        return BINARY[type(node.op)](left, right)
    if isinstance(node, ast.UnaryOp) and type(node.op) in UNARY:
        return UNARY[type(node.op)](value_of(node.operand))
    if isinstance(node, ast.Tuple) and not node.elts:
        return ()
    if isinstance(node, ast.Call):
        call(node)
    raise SyntaxError("invalid syntax")


def call(node: ast.Call) -> None:
    """Numbers are not callable; fail as Python does, after evaluating what it evaluates."""
    function = value_of(node.func)
    for argument in node.args:
        if isinstance(argument, ast.Starred):
            unpacked = value_of(argument.value)
            if not isinstance(unpacked, tuple):
                raise TypeError(
                    f"{function} argument after * must be an iterable,"
                    f" not {type(unpacked).__name__}"
                )
        else:
            value_of(argument)
    for keyword in node.keywords:
        mapping = value_of(keyword.value)
        raise TypeError(
            f"{function} argument after ** must be a mapping, not {type(mapping).__name__}"
        )
    raise TypeError(f"'{type(function).__name__}' object is not callable")


def check_power(base: Any, exponent: Any) -> None:
    if (
        isinstance(base, int)
        and isinstance(exponent, int)
        and abs(base) > 1
        and exponent > MAX_POWER_BITS / math.log2(abs(base))
    ):
        raise OverflowError("int too large to convert to float")
