"""Tell my school (issue 24): a pupil, or a parent, may choose to send a message to the school's DSL from the chat,
and read the reply later with a reference phrase.

- settings.py  the school profile's `tell_school` section and the TELL_SCHOOL_* environment variables
- words.py     the chat's words (bot/content/tell_school.yml) and reference phrases
- store.py     reports and each conversation's step, in tables of their own beside the tracker store's
- mailer.py    the email to the DSL inbox, over SMTP with TLS
- flow.py      the steps: offer, explain, write, confirm, send; read a reply by phrase
- chat.py      what the channels call around a turn: the report's text never reaches Rasa or its tracker store
- pages.py     the DSL inbox page (behind a token) and the pupil's reply page, served by the Rasa server
- catcher.py   a local mail catcher for `make run` when no SMTP server is configured
"""
