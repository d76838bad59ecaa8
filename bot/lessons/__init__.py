"""Teacher lesson mode: the lesson library in bot/content/lessons/, the myth-or-fact quiz and printable handouts."""
