"""Reports: coverage and waiting times, and the shortages that tell whom to recruit."""
