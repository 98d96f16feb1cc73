"""Scenarios: dated, sourced timelines of events, how they are read, written and replayed."""
