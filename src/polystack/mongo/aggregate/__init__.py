"""The aggregation pipeline: stages, accumulators and window functions."""
