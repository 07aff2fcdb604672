from gaokao.submission.tests.conftest import (  # noqa: F401 (shared fixtures)
    city_user,
    complete,
    media,
    photo,
    province_user,
    season,
)
