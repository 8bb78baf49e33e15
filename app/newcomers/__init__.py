"""Newcomers: people registered by municipal coordinators, each asking for programmes."""
