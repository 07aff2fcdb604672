"""Incidents reported up the chain (突发事件, E8): pages of the office web."""
