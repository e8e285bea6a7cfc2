"""Spatial measures on a travel table: coverage and gaps, service areas, accessibility."""
