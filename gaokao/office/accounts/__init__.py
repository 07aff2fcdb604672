"""Sign-in (登录: password, then real-name authentication or the authenticator code) and
the accounts down the hierarchy (账号管理): pages of the office web."""
