"""The majority rule of a jury paritaire: when a proposal is adopted, given its votes.

Pure rules, no database: the services count the votes of the members present when the vote
concludes and ask `tally` whether the proposal stands. A branch chooses its rule in its
settings (`Branch.majority_rule`, `Branch.chair_casting_vote`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from branches.models import MajorityRule

from .models import VoteChoice


@dataclass(frozen=True)
class Tally:
    votes_for: int
    votes_against: int
    votes_abstain: int
    members_present: int
    adopted: bool
    # True when the votes were tied and the chair's vote decided.
    casting_vote: bool


def tally(
    choices: Iterable[str],
    *,
    members_present: int,
    rule: str = MajorityRule.ABSOLUTE,
    chair_casting_vote: bool = False,
    chair_choice: str | None = None,
) -> Tally:
    """Count `choices` (one per member present who voted) under the branch's rule.

    - absolute majority of the members present: more than half of them voted for, so an
      abstention weighs as a vote against;
    - majority of the votes cast: more votes for than against, abstentions left out (and a
      proposal nobody voted for is not adopted);
    - a tie (exactly half the members present for, or as many for as against) is decided by
      the chair's vote when the branch gives the chair a casting vote and the chair voted for
      or against; otherwise the proposal is not adopted.
    """
    choices = list(choices)
    votes_for = choices.count(VoteChoice.FOR)
    votes_against = choices.count(VoteChoice.AGAINST)
    votes_abstain = choices.count(VoteChoice.ABSTAIN)
    if rule == MajorityRule.CAST:
        adopted = votes_for > votes_against
        tied = votes_for == votes_against and votes_for > 0
    else:
        adopted = 2 * votes_for > members_present
        tied = 2 * votes_for == members_present and members_present > 0
    casting = tied and chair_casting_vote and chair_choice in (VoteChoice.FOR, VoteChoice.AGAINST)
    if casting:
        adopted = chair_choice == VoteChoice.FOR
    return Tally(
        votes_for=votes_for,
        votes_against=votes_against,
        votes_abstain=votes_abstain,
        members_present=members_present,
        adopted=adopted,
        casting_vote=casting,
    )
