"""Help generated from the registry, the answer for text the bot will not act on, and the
advice added to questions about an action."""
