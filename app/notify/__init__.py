"""Notifications, delivered exactly once: an outbox written with the decision, and a sender.

- :mod:`app.notify.events` writes the outbox rows (in the caller's transaction);
- :mod:`app.notify.render` turns one into an e-mail (Danish or English, text and HTML) or a
  webhook's JSON;
- :mod:`app.notify.sender` claims, delivers and records them (``makker send``, and a thread of
  ``makker serve``).
"""
