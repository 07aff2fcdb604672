"""A candidate's signed-in session as the rest of the system knows it: the session key the
portal keeps the candidate under (the request log tells candidates from staff by it), and
how long it lasts without activity (the admission seats of gaokao.gate outlive it)."""

SESSION_KEY = "portal_candidate"
IDLE_SECONDS = 30 * 60
