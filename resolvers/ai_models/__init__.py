"""The AI-models domain: models (models.py), versions (versions.py) and their promotion
(promotion.py), alert thresholds (alerts.py), the organization and platform performance
series (performance.py); field rules in checks.py."""
