"""Deadline extensions (延期): pages of the office web."""
