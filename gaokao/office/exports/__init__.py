"""The national exports (上报数据导出): pages of the office web."""
