"""Comments (思想品德考核意见, S8): the batch screen, the unit's templates, the import: pages of the
office web."""
