"""Candidates (考生): the list, ID-card intake, manual intake, reviews, login cards: pages of the
office web."""
