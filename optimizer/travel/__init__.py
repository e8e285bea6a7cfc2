"""Travel-time tables between demand points and facilities: straight line or road network."""
