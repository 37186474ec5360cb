"""Pages for anyone with an account, of either side."""
