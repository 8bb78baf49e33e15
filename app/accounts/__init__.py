"""Desk accounts: people who sign in to the web pages (API keys stay for machines)."""
