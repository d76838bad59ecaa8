"""RulePolicy._get_possible_keys: the rules that fit a conversation, from remembered (state, distance) matches.

RulePolicy tested every rule (136 here) against every state of the conversation, three times a turn (about
1.5 ms), and read every rule's JSON again to find the longest (about 2% of a server under load). Whether a rule
fits a state depends only on the rule, the state and how far back the state is, so the rules that fit each
(state, distance) are remembered and a conversation's candidates are their intersection: the same set, by the
same test. The rules and the longest length are worked out again only when the lookup's rules change.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any, Dict, FrozenSet, Hashable, List, Set, Tuple

from rasa.core.policies.rule_policy import RulePolicy

from bot.speedups._patch import Patch

_rasas_possible_rule_keys = RulePolicy._get_possible_keys
_MAX_REMEMBERED_STATES = 20_000


def _possible_rule_keys(self: RulePolicy, lookup: Dict[str, str], states: List[Dict[str, Any]]) -> Set[str]:
    """The rules that fit every state, latest first, as Rasa tests them."""
    keys, longest = _rule_keys(self, lookup)
    possible = set(keys)
    for distance, state in enumerate(reversed(states)):
        if distance >= longest or not possible:
            break  # every rule fits a state further back than the rule is long
        possible &= _rules_fitting(self, keys, distance, state)
    return possible


def _rule_keys(self: RulePolicy, lookup: Dict[str, str]) -> Tuple[FrozenSet[str], int]:
    """The lookup's rules and the length of the longest, worked out again only when its rules have changed."""
    remembered: Dict[int, Tuple[FrozenSet[str], int]] = self.__dict__.setdefault("_rule_keys", {})
    known = remembered.get(id(lookup))
    if known is None or known[0] != lookup.keys():
        keys = frozenset(lookup)
        known = remembered[id(lookup)] = (keys, max((len(self._rule_key_to_state(key)) for key in keys), default=0))
    return known


def _rules_fitting(self: RulePolicy, keys: FrozenSet[str], distance: int, state: Dict[str, Any]) -> FrozenSet[str]:
    remembered: OrderedDict = self.__dict__.setdefault("_rules_fitting", OrderedDict())
    key = (keys, distance, _frozen(state))
    fitting = remembered.get(key)
    if fitting is None:
        fitting = frozenset(rule for rule in keys if self._is_rule_applicable(rule, distance, state))
        remembered[key] = fitting
        if len(remembered) > _MAX_REMEMBERED_STATES:
            remembered.popitem(last=False)
    return fitting


def _frozen(value: Any) -> Hashable:
    if isinstance(value, dict):
        return tuple(sorted((name, _frozen(item)) for name, item in value.items()))
    if isinstance(value, (list, tuple)):
        return (type(value).__name__, tuple(_frozen(item) for item in value))
    if isinstance(value, (set, frozenset)):
        return frozenset(_frozen(item) for item in value)
    return value


PATCH = Patch(RulePolicy, "_get_possible_keys", _possible_rule_keys)
