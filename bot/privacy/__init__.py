"""Children's data: redaction, the redacting tracker store, the log filter, retention and forgetting on request."""
