"""Suggestions: the best mentors for a newcomer's open requests now, or why there are none."""
