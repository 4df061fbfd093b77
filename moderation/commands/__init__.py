"""Sub-commands of `moderation`, one module per group; each exposes register(subparsers)."""
