"""Imported results (成绩导入, S10): pages of the office web."""
