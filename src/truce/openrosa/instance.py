"""Read a submitted instance: untrusted XML parsed with defusedxml, with limits on depth, size and text."""

from __future__ import annotations

from dataclasses import dataclass, field
from xml.etree.ElementTree import ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import DefusedXMLParser

from truce.errors import BadRequest

MAX_XML_BYTES = 10 * 1024 * 1024
MAX_DEPTH = 32
MAX_ELEMENTS = 20_000
MAX_TEXT = 100_000
MAX_ATTRIBUTE = 1_000


@dataclass
class Node:
    """An element of the instance by its local name, with its text and children in order."""

    name: str
    text: str = ""
    attributes: dict[str, str] = field(default_factory=dict)
    children: list[Node] = field(default_factory=list)

    def child(self, name: str) -> Node | None:
        return next((c for c in self.children if c.name == name), None)

    def all(self, name: str) -> list[Node]:
        return [c for c in self.children if c.name == name]

    def value(self, path: str) -> str | None:
        """The stripped text at a slash-separated path; None when absent or empty."""
        node: Node | None = self
        for part in path.split("/"):
            node = node.child(part) if node is not None else None
        if node is None or node.children:
            return None
        return node.text.strip() or None


@dataclass(frozen=True)
class Instance:
    """The parts of a submission every form shares, and its tree."""

    form_id: str
    version: str
    instance_id: str
    deprecated_id: str | None
    root: Node


def parse(xml: bytes) -> Instance:
    """Parse a submission's XML; malformed, hostile or oversized input is a 400 with the reason."""
    if len(xml) > MAX_XML_BYTES:
        raise BadRequest(f"the submission XML is larger than {MAX_XML_BYTES // (1024 * 1024)} MB")
    root = _tree(xml)
    form = root.attributes.get("id", "").strip()
    if not form:
        raise BadRequest(f"the instance's root element <{root.name}> has no id attribute naming its form")
    meta = root.child("meta")
    instance_id = meta.value("instanceID") if meta is not None else None
    if not instance_id:
        raise BadRequest("the instance has no meta/instanceID")
    if len(instance_id) > 128:
        raise BadRequest("meta/instanceID is longer than 128 characters")
    deprecated = meta.value("deprecatedID") if meta is not None else None
    if deprecated is not None and (len(deprecated) > 128 or deprecated == instance_id):
        raise BadRequest("meta/deprecatedID must name an earlier instance")
    return Instance(form, root.attributes.get("version", "").strip(), instance_id, deprecated, root)


def _tree(xml: bytes) -> Node:
    builder = _Builder()
    # No DTD at all: entity expansion (billion laughs) and external entities never get a chance.
    parser = DefusedXMLParser(target=builder, forbid_dtd=True)
    try:
        parser.feed(xml)
        parser.close()
    except DefusedXmlException as exc:
        raise BadRequest(f"the submission XML is refused: {type(exc).__name__} (no DTDs or entities)") from None
    except ParseError as exc:
        raise BadRequest(f"the submission XML is malformed: {exc}") from None
    if builder.root is None:
        raise BadRequest("the submission XML has no root element")
    return builder.root


class _Builder:
    """The parser's target: builds Nodes straight from its events, refusing what is too deep, wide or long."""

    def __init__(self) -> None:
        self.root: Node | None = None
        self.stack: list[Node] = []
        self.texts: list[list[str]] = []
        self.text_size: list[int] = []
        self.count = 0

    def start(self, tag: str, attributes: dict[str, str]) -> None:
        self.count += 1
        if len(self.stack) >= MAX_DEPTH:
            raise BadRequest(f"the submission XML is nested deeper than {MAX_DEPTH} levels")
        if self.count > MAX_ELEMENTS:
            raise BadRequest(f"the submission XML has more than {MAX_ELEMENTS:,} elements")
        node = Node(_local(tag), attributes=_attributes(tag, attributes) if attributes else {})
        if self.stack:
            self.stack[-1].children.append(node)
        else:
            self.root = node
        self.stack.append(node)
        self.texts.append([])
        self.text_size.append(0)

    def data(self, text: str) -> None:
        if not self.stack:
            return
        # Text after a child element is the parent's tail in ElementTree's terms: only the leading text counts.
        node = self.stack[-1]
        if node.children:
            return
        self.text_size[-1] += len(text)
        if self.text_size[-1] > MAX_TEXT:
            raise BadRequest(f"<{node.name}> holds more than {MAX_TEXT:,} characters of text")
        self.texts[-1].append(text)

    def end(self, _tag: str) -> None:
        node = self.stack.pop()
        node.text = "".join(self.texts.pop())
        self.text_size.pop()

    def close(self) -> None:
        return None


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _attributes(tag: str, given: dict[str, str]) -> dict[str, str]:
    attributes = {}
    for key, value in given.items():
        if len(value) > MAX_ATTRIBUTE:
            raise BadRequest(f"an attribute of <{_local(tag)}> is longer than {MAX_ATTRIBUTE} characters")
        attributes[_local(key)] = value
    return attributes
