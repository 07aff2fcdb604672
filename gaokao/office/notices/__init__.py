"""The notice board (通知公告): pages of the office web."""
