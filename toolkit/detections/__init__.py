"""trailwatch detections."""
