"""GDPR: a person's data export, the traces erasure removes, and retention purges."""
