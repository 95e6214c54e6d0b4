"""trailwatch engines."""
