"""The rules of a negotiation as data: the rule language, models, properties and event codes."""
