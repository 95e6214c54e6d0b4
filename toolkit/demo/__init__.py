"""trailwatch demo."""
