"""The web pages: server-rendered, over the same services as the API (see setup.install)."""
