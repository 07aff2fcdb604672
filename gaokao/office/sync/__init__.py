"""Point clients and sync conflicts (报名点客户端, 同步冲突; R4, E5): pages of the office web."""
