"""Analyses over models and scenarios: compare, sensitivity, search, falsification and lint."""
