"""draft_seo_copy: bounded title and meta description, slug, keywords without stop words."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from graph.tools.cms import META_DESCRIPTION_MAX, STOP_WORDS, TITLE_MAX, draft_seo_copy

LONG_DESCRIPTION = (
    "A light and grippy trail running shoe for the mountain, with a rock plate in the "
    "midsole, a breathable mesh upper, a gusseted tongue that keeps grit out, and an "
    "outsole of sticky rubber that holds on wet granite and loose gravel alike."
)


def test_long_description_is_cut_to_155_characters_at_a_word() -> None:
    assert len(LONG_DESCRIPTION) > META_DESCRIPTION_MAX

    meta = draft_seo_copy(name="Trail Shoe", description=LONG_DESCRIPTION)["meta_description"]

    assert len(meta) <= META_DESCRIPTION_MAX
    assert meta.endswith("…")
    kept = meta.removesuffix("…")
    assert LONG_DESCRIPTION.startswith(kept)
    assert LONG_DESCRIPTION[len(kept)] in " ,"  # cut between words, not inside one
    assert len(kept) > META_DESCRIPTION_MAX - 20  # and not much shorter than it may be


def test_short_description_is_kept_with_whitespace_collapsed() -> None:
    copy = draft_seo_copy(name="Trail Shoe", description="  Light,\n grippy   shoe. ")

    assert copy["meta_description"] == "Light, grippy shoe."


def test_missing_description_gets_a_default() -> None:
    assert draft_seo_copy(name="Trail Shoe")["meta_description"] == "Shop Trail Shoe online."


def test_slug_is_lowercase_words_joined_by_hyphens() -> None:
    copy = draft_seo_copy(name="  Trail Running Shoe (2024 Edition)! ")

    assert copy["slug"] == "trail-running-shoe-2024-edition"


def test_slug_folds_accented_letters() -> None:
    assert draft_seo_copy(name="Crème Brûlée")["slug"] == "creme-brulee"


def test_keywords_skip_stop_words_short_words_and_repeats() -> None:
    copy = draft_seo_copy(
        name="The Trail Shoe for Your Run",
        description="A shoe with grip on the trail and in the mud, to go up and on.",
    )

    assert copy["keywords"] == ["trail", "shoe", "run", "grip", "mud"]
    assert not set(copy["keywords"]) & STOP_WORDS


def test_keywords_are_at_most_eight() -> None:
    copy = draft_seo_copy(name="alpha bravo charlie delta echo foxtrot golf hotel india juliet")

    assert copy["keywords"] == [
        "alpha",
        "bravo",
        "charlie",
        "delta",
        "echo",
        "foxtrot",
        "golf",
        "hotel",
    ]


def test_title_names_the_brand_and_fits_60_characters() -> None:
    assert draft_seo_copy(name="Trail Shoe", brand="Peakline")["seo_title"] == (
        "Trail Shoe | Peakline"
    )
    long_name = "Ultralight Waterproof Trail Running Shoe with Rock Plate and Gaiter Hooks"

    title = draft_seo_copy(name=long_name, brand="Peakline")["seo_title"]

    assert len(title) <= TITLE_MAX
    assert title.endswith("…")
    assert long_name.startswith(title.removesuffix("…"))


@pytest.mark.parametrize("arguments", [{"name": ""}, {"description": "no name"}, {"name": None}])
def test_invalid_arguments_are_rejected(arguments: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        draft_seo_copy(**arguments)
