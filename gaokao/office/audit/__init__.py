"""The audit trail's page (操作日志): pages of the office web."""
