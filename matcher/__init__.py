"""matcher: semantic job search and candidate matching, with explanations."""

__version__ = "0.1.0"
