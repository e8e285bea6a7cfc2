"""Writing results: output folders owned by the tool, written atomically, and the tables in them."""
