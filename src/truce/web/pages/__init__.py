"""Page modules; each has a `router` made by `routing.page_router()`, listed in `setup.ROUTERS`."""
