"""Build-time tools that run outside the service (the encoder for the teacher lexicon)."""
