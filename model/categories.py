"""The categories every model scores, in a fixed order."""

CATEGORIES = ("abuse", "victim_identification")
