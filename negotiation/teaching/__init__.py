"""Teaching: sessions that walk a class through a history and its counterfactuals."""
