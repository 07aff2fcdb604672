"""gaokao — online registration for the national college entrance exam (普通高考网上报名)."""
