"""Mutations of the datasets domain: datasets and their versions (datasets.py), data sources
with encrypted connection info (sources.py); field rules in checks.py."""
