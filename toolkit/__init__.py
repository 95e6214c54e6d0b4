"""trailwatch: AWS audit and monitoring analytics."""
