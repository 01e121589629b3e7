"""Watch parties: a YouTube video watched together, with synced playback, chat and moments."""
