"""A candidate's photo (照片): upload and webcam capture: pages of the office web."""
