"""Mutations of the experiments domain, one module per subject (DESIGN.md §5.2 habit 2)."""
