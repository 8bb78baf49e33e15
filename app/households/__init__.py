"""Households: newcomers who live together, matched as one to a ``unit: household`` programme."""
