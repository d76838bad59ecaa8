"""Benchmark of the assistant against a baseline trained with Rasa's default configuration (`make bench`)."""
