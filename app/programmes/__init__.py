"""Programmes: mentorordning, Let's Network, sprogmakker … (data, not code)."""
