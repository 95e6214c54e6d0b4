"""trailwatch cloudwatch."""
