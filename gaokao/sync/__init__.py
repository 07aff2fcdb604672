"""同步 — the sync protocol: the central side of the point client (R4, S3, E4, E5).

By job: `enrolment` (a device's enrolment, token and revocation), `pull` (configuration
and candidates after a cursor), `validation` (what a change may carry, checked by the
candidates' own rules), `push` (receipts, outcomes; also a disc bundle's changes),
`conflicts` (stale updates and changes after the deadline kept for a person), `offline`
(keyed-at times, the grace after a close, clock skew), `photos` (resumable uploads); `fields` and
`errors` are what they share, `display` and `forms` what the office web and the point
client show of a conflict. The HTTP front end is gaokao.api; the office pages are
gaokao.office.sync. The candidate's rules applied here live in gaokao.candidates
(`change_path` for every update, `point_changes` for intake, `rows`, `own_data`) and
gaokao.numbering (`claim_number`).
"""
