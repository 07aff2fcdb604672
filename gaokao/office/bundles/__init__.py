"""Disc bundles (光盘数据包, E5): the county's import page: pages of the office web."""
