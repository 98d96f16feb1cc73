"""Renderers: turn traces and models into text for people and JSON for programs."""
