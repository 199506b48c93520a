"""The sandbox Google Calendar API v3: calendars, events, recurrence, sharing and free/busy."""
