"""The only code that sends outbound messages: the outbox worker and its channels."""
