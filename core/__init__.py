"""The foundation every layer may import: settings, metric definitions, logging.

It imports nothing of the project, so arrows into it never point back up.
"""
