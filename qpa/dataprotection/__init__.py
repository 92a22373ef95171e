"""Data protection: subject access, retention and legal holds, backups, and the event
log's search page."""
