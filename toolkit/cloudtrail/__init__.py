"""trailwatch cloudtrail."""
