"""API keys: created by admins (or ``makker create-key``), shown once, revocable."""
