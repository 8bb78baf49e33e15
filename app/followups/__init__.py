"""Follow-ups on accepted matches: check-ins, the follow-ups due, and retention."""
