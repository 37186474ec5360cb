"""The business side of the website."""
