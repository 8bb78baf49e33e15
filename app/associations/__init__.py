"""Associations: the organisations that own mentors."""
