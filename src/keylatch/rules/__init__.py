"""Key formats as data. `DEFAULT_RULES` is the ordered tuple the engine uses."""

from keylatch.rules.openai import DEFAULT_RULES, rule_by_id
from keylatch.rules.rule import Example, Rule

__all__ = ["DEFAULT_RULES", "Example", "Rule", "rule_by_id"]
