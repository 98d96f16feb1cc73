"""The kernel: a model's rules compiled for bulk work on packed states."""
