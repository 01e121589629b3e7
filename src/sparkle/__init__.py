"""Sparkle Universe: the community platform for the fans of the Sparkle YouTube channel."""

__version__ = "0.1.0"
