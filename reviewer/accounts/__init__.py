"""Units, users, tokens, sessions and who may do what."""
