"""The sandbox Google People API."""
