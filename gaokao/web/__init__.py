"""The web kit shared by every front end: styled forms, role checks, one-time secrets,
re-authentication before dangerous actions and the security headers. It depends on the
foundation only (docs/architecture.md)."""
