"""The sandbox Fathom External API: meetings, summaries, transcripts, action items and teams."""
