"""The sync API (同步接口): the point client's HTTP front end to the sync protocol
(gaokao.sync), mounted at /api/v1/ by gaokao.urls. `v1` holds the endpoints, `schemas`
the OpenAPI document's shapes."""
