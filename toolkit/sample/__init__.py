"""trailwatch sample."""
