"""Input data: read files as they are, check them layer by layer and together, summarise them."""
