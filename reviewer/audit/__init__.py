"""The review log: hash chain, events, queries, statistics, exports, verification."""
