"""Everything the service keeps in Redis: key layout, records, indexes, scripts."""
