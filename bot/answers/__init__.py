"""Content and answering: the content library in bot/content/, who is asking, the answers and help routes, and the
generated domain (python -m bot.answers.domain)."""
