"""Mentors: volunteers, each owned by one association."""
