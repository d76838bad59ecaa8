"""The channels' pure tests: plain text, rate limits, signatures, and each messaging channel in process with a
stand-in for Rasa and fake APIs on loopback. No model, no server. The end-to-end ones are in tests/channels/."""
