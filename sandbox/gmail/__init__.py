"""The sandbox Gmail API v1: messages, threads, labels, drafts, sending, search and batch."""
