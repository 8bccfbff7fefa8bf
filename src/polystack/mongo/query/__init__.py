"""MongoDB's query language: the filter matcher, projection and sort."""
