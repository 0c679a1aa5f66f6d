"""The majority rule of a jury paritaire (evaluations.voting.tally), case by case."""

from __future__ import annotations

import pytest

from branches.models import MajorityRule
from evaluations.voting import tally

FOR, AGAINST, ABSTAIN = "for", "against", "abstain"


@pytest.mark.parametrize(
    ("choices", "adopted"),
    [
        ([FOR, FOR, AGAINST], True),
        ([FOR, AGAINST], False),  # a tie is not a majority
        ([FOR, FOR, ABSTAIN, ABSTAIN], False),  # half of those present is not more than half
        ([FOR, FOR, FOR, ABSTAIN], True),
        ([ABSTAIN, ABSTAIN], False),
    ],
)
def test_absolute_majority_of_the_members_present(choices, adopted):
    result = tally(choices, members_present=len(choices))
    assert result.adopted is adopted
    assert not result.casting_vote


@pytest.mark.parametrize(
    ("choices", "adopted"),
    [
        ([FOR, ABSTAIN, ABSTAIN], True),  # abstentions left out
        ([FOR, AGAINST, ABSTAIN], False),
        ([ABSTAIN, ABSTAIN], False),  # nobody for: not adopted
        ([FOR, FOR, AGAINST, ABSTAIN, ABSTAIN], True),
    ],
)
def test_majority_of_the_votes_cast(choices, adopted):
    result = tally(choices, members_present=len(choices), rule=MajorityRule.CAST)
    assert result.adopted is adopted


def test_the_counts_are_kept():
    result = tally([FOR, AGAINST, ABSTAIN, FOR], members_present=4)
    assert (result.votes_for, result.votes_against, result.votes_abstain) == (2, 1, 1)
    assert result.members_present == 4


@pytest.mark.parametrize(
    ("chair", "adopted"), [(FOR, True), (AGAINST, False), (ABSTAIN, False), (None, False)]
)
def test_a_tie_goes_the_chairs_way_when_the_branch_gives_a_casting_vote(chair, adopted):
    result = tally([FOR, AGAINST], members_present=2, chair_casting_vote=True, chair_choice=chair)
    assert result.adopted is adopted
    assert result.casting_vote is (chair in (FOR, AGAINST))


def test_without_a_casting_vote_a_tie_is_not_adopted_whatever_the_chair_voted():
    result = tally([FOR, AGAINST], members_present=2, chair_choice=FOR)
    assert not result.adopted and not result.casting_vote


def test_the_casting_vote_applies_only_to_a_tie():
    result = tally(
        [FOR, AGAINST, AGAINST], members_present=3, chair_casting_vote=True, chair_choice=FOR
    )
    assert not result.adopted and not result.casting_vote


def test_a_tie_of_votes_cast_with_abstentions_uses_the_casting_vote():
    result = tally(
        [FOR, AGAINST, ABSTAIN],
        members_present=3,
        rule=MajorityRule.CAST,
        chair_casting_vote=True,
        chair_choice=FOR,
    )
    assert result.adopted and result.casting_vote
