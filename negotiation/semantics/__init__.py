"""The one semantics of a model: how an event is judged and fired, and how a state is checked."""
