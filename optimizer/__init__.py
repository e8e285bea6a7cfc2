"""medalloc: a planning optimizer for county health systems."""
