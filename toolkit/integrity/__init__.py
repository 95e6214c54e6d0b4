"""CloudTrail log file integrity: digest files, signatures, chain."""
