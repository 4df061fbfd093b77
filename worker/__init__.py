"""The queue consumer: scores pending comments and records decisions."""
