"""The province's system-status page (系统状态): pages of the office web."""
