"""score_lead: the points behind the score and the grade boundaries."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from graph.tools.crm import score_lead

BUSINESS = "ana@peakline.io"
FREE = "ana@gmail.com"


@pytest.mark.parametrize(
    ("lead", "score", "grade"),
    [
        (
            {"email": BUSINESS, "company": "Peakline", "budget": 10_000, "source": "referral"},
            80,
            "A",
        ),
        ({"email": BUSINESS, "employees": 50, "budget": 10_000}, 75, "B"),
        ({"email": BUSINESS, "company": "Peakline", "employees": 50}, 60, "B"),
        ({"email": BUSINESS, "budget": 10_000}, 55, "C"),
        ({"email": BUSINESS, "company": "Peakline"}, 40, "C"),
        ({"email": FREE, "company": "Peakline", "source": "demo_request"}, 35, "D"),
        ({"email": FREE}, 10, "D"),
    ],
)
def test_grade_boundaries(lead: dict[str, Any], score: int, grade: str) -> None:
    result = score_lead(**lead)

    assert (result["score"], result["grade"]) == (score, grade)


def test_every_signal_together_scores_100_with_its_reasons() -> None:
    result = score_lead(
        email="Ana@Peakline.IO",
        company="Peakline",
        employees=120,
        budget=25_000,
        source="demo_request",
    )

    assert result == {
        "score": 100,
        "grade": "A",
        "reasons": [
            "business email domain peakline.io",
            "company named",
            "120 employees",
            "budget 25,000",
            "came from demo_request",
        ],
    }


@pytest.mark.parametrize(
    "lead",
    [
        {"email": "ana@GMAIL.com"},  # free mail, whatever the case
        {"email": FREE, "employees": 49},
        {"email": FREE, "budget": 9_999.99},
        {"email": FREE, "source": "web_form"},
        {"email": FREE, "company": ""},
    ],
)
def test_below_each_threshold_adds_nothing(lead: dict[str, Any]) -> None:
    assert score_lead(**lead) == {"score": 10, "grade": "D", "reasons": []}


@pytest.mark.parametrize(
    "lead",
    [
        {"email": "a"},
        {"email": BUSINESS, "employees": -1},
        {"email": BUSINESS, "budget": -5},
        {"company": "Peakline"},
    ],
)
def test_invalid_arguments_are_rejected(lead: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        score_lead(**lead)
