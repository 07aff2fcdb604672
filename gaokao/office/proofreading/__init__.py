"""Proofreading and confirmation (校对确认, S7): pages of the office web."""
