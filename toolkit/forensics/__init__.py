"""trailwatch forensics."""
