"""Registration-number ranges (报名号段) per point and subject track: pages of the office web."""
