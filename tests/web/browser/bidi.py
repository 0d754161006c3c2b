"""Debian's Firefox ESR driven over WebDriver BiDi, the W3C protocol Firefox speaks itself.

Playwright's Firefox needs Mozilla's Juggler patches, which Debian's build lacks (launching it with
`firefox.launch(executable_path=...)` exits at once: no `-juggler-pipe`); Playwright 1.65's own BiDi backend
(channel "moz-firefox") sends `emulation.setMediaFeaturesOverride`, which Firefox 153 ESR does not know, before
any page opens. So the tests speak BiDi to Firefox's remote agent directly: a session, a tab, navigation,
script evaluation, file inputs and network conditions are all these tests need.
"""

from __future__ import annotations

import json
import re
import subprocess
import time
from contextlib import ExitStack, suppress
from pathlib import Path
from typing import Any

import pytest
from websockets.sync.client import ClientConnection, connect

FIREFOX = "/usr/bin/firefox-esr"
LISTENING = re.compile(r"WebDriver BiDi listening on (ws://\S+)")
TIMEOUT_S = 30


class BidiError(AssertionError):
    """The browser answered a command with an error."""


class Firefox:
    """One Firefox process over a profile directory, with a BiDi session and its first tab."""

    def __init__(self, profile: Path) -> None:
        if not Path(FIREFOX).exists():
            pytest.fail(f"the Firefox tests need {FIREFOX} (Debian: apt-get install firefox-esr)")
        profile.mkdir(parents=True, exist_ok=True)
        command = [FIREFOX, "--headless", "--no-remote", "--remote-debugging-port", "0", "--profile", str(profile)]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        url = self._address()
        self._stack = ExitStack()
        self.socket: ClientConnection = self._stack.enter_context(
            connect(url + "/session", max_size=None, open_timeout=TIMEOUT_S)
        )
        self._next = 0
        self.send("session.new", capabilities={})
        self.context = self.send("browsingContext.getTree")["contexts"][0]["context"]

    def _address(self) -> str:
        assert self.process.stderr is not None
        deadline = time.monotonic() + TIMEOUT_S
        for line in self.process.stderr:
            found = LISTENING.search(line)
            if found:
                return found.group(1)
            if time.monotonic() > deadline:
                break
        self.process.kill()
        raise BidiError("Firefox did not start its WebDriver BiDi listener")

    def send(self, method: str, **params: Any) -> Any:
        self._next += 1
        self.socket.send(json.dumps({"id": self._next, "method": method, "params": params}))
        while True:
            message = json.loads(self.socket.recv(timeout=120))
            if message.get("id") == self._next:
                if message.get("type") == "error":
                    raise BidiError(f"{method}: {message.get('error')}: {message.get('message')}")
                return message.get("result")

    def goto(self, url: str) -> None:
        self.send("browsingContext.navigate", context=self.context, url=url, wait="complete")

    def run(self, expression: str) -> Any:
        """The value of a JavaScript expression in the tab (promises awaited)."""
        answer = self.send(
            "script.evaluate", expression=expression, target={"context": self.context}, awaitPromise=True
        )
        if answer.get("type") == "exception":
            raise BidiError(f"{expression[:80]}: {answer['exceptionDetails'].get('text')}")
        return _value(answer["result"])

    def wait_for(self, expression: str, *, seconds: float = 60) -> Any:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                value = self.run(expression)
            except BidiError:
                value = None  # the page is between two documents
            if value:
                return value
            time.sleep(0.25)
        raise AssertionError(f"never true in {seconds} s: {expression}")

    def set_files(self, selector: str, paths: list[Path]) -> None:
        locator = {"type": "css", "value": selector}
        nodes = self.send("browsingContext.locateNodes", context=self.context, locator=locator)
        element = {"sharedId": nodes["nodes"][0]["sharedId"]}
        self.send("input.setFiles", context=self.context, element=element, files=[str(p) for p in paths])

    def set_offline(self, offline: bool) -> None:
        conditions = {"type": "offline"} if offline else None
        self.send("emulation.setNetworkConditions", networkConditions=conditions, contexts=[self.context])

    def close(self) -> None:
        """Quit as a person would, so that the profile keeps what it wrote."""
        # The socket closes as the browser quits, which may cut the answer off.
        with suppress(Exception):
            self.send("browser.close")
        self._stack.close()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        if self.process.stderr:
            self.process.stderr.close()


def _value(remote: dict[str, Any]) -> Any:
    kind = remote.get("type")
    if kind in ("string", "number", "boolean"):
        return remote["value"]
    if kind in ("null", "undefined"):
        return None
    if kind == "array":
        return [_value(item) for item in remote.get("value", [])]
    if kind == "object":
        return {_value(k) if isinstance(k, dict) else k: _value(v) for k, v in remote.get("value", [])}
    return remote.get("value")
