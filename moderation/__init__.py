"""Newsroom comment moderation: command line, configuration and local runner."""
