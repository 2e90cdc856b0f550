"""Records → a Whoosh index, and queries → results: Chinese analysis, facets, highlights, ranking."""
