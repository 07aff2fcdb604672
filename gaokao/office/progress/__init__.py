"""The dashboards (进度统计): pages of the office web."""
