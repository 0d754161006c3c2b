"""The API's documentation at /docs: Swagger UI from the package's own static files, under a strict CSP.

FastAPI's built-in page loads Swagger UI from a CDN and starts it with an inline script; this one serves the
files copied from npm's `swagger-ui-dist` by `make assets` (as for Leaflet) and starts it from `js/docs.js`.
"""

from __future__ import annotations

from html import escape

from fastapi import Request
from fastapi.responses import HTMLResponse

from truce.routers import DeclaredRouter

router = DeclaredRouter(include_in_schema=False)
VENDOR = "/static/vendor/swagger-ui"
# Nothing from elsewhere, no inline script; Swagger UI sets element styles from script (allowed without
# 'unsafe-inline') and draws icons as data: images. `connect-src 'self'` is what "Try it out" needs.
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "font-src 'self'; object-src 'none'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
)


@router.get("/docs")
def docs(request: Request) -> HTMLResponse:
    """Swagger UI over /openapi.json, with every file from this server."""
    spec = escape(request.app.openapi_url or "/openapi.json")
    title = escape(f"{request.app.title} API")
    html = f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<link rel="stylesheet" href="{VENDOR}/swagger-ui.css">
</head>
<body>
<div id="swagger-ui" data-openapi-url="{spec}"></div>
<script src="{VENDOR}/swagger-ui-bundle.js"></script>
<script src="/static/js/docs.js"></script>
</body>
</html>
"""
    headers = {
        "Content-Security-Policy": CSP,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin",
    }
    return HTMLResponse(html, headers=headers)
