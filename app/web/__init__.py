"""The desk: server-rendered pages for people, one more adapter over the same services."""
