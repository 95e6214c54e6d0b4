"""trailwatch reports."""
