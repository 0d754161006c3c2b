"""Helpers of the browser tests: the live server's address, logging in and out, screenshots, the map's readiness."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from playwright.sync_api import Page, expect

PASSWORD = "truce-demo"


@dataclass
class Server:
    url: str
    data_dir: Path


def shot(page: Page, directory: Path, name: str, *, full_page: bool = False) -> Path:
    path = directory / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path


def log_in(page: Page, server: Server, username: str, next_path: str = "/") -> None:
    page.goto(f"{server.url}/login?next={next_path}")
    page.get_by_label("User name").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    # Attached, not visible: on a phone the log-out button sits in the folded menu.
    expect(page.locator("form[action='/logout'] button")).to_be_attached()


def log_out(page: Page) -> None:
    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(re.compile(r"/login\?logged_out=1$"))


def wait_for_map(page: Page) -> int:
    # A selector, not wait_for_function: the pages' CSP forbids the eval that the latter needs.
    ready = page.locator("body[data-map-ready]")
    ready.wait_for(state="attached")
    return int(ready.get_attribute("data-map-ready") or "-1")
