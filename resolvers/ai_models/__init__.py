"""Mutations of the AI-models domain: models (models.py), versions (versions.py) and their
promotion (promotion.py); field rules in checks.py."""
