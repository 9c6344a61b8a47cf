"""A small reader of rendered pages: elements with their attributes, and the text inside each
element that has an id (enough to check what a screen reader is told, without a browser)."""

from __future__ import annotations

from html.parser import HTMLParser

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class Page(HTMLParser):
    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str]]] = []
        self.text_by_id: dict[str, str] = {}
        self._open: list[tuple[str, str | None]] = []
        self.title = ""
        self._in_title = False
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attributes = {name: value if value is not None else "" for name, value in attrs}
        self.elements.append((tag, attributes))
        self._in_title = tag == "title"
        if tag not in VOID:
            self._open.append((tag, attributes.get("id")))
            if attributes.get("id"):
                self.text_by_id[attributes["id"]] = ""

    def handle_endtag(self, tag):
        self._in_title = False
        for index in range(len(self._open) - 1, -1, -1):
            if self._open[index][0] == tag:
                del self._open[index:]
                break

    def handle_data(self, data):
        if self._in_title:
            self.title += data
        for _tag, element_id in self._open:
            if element_id:
                self.text_by_id[element_id] += data

    def find(self, tag: str | None = None, **attrs) -> list[dict[str, str]]:
        """Elements of ``tag`` (any if None) having each attribute (``data_x`` is ``data-x``;
        a value of True only asks for presence)."""
        wanted = {name.replace("_", "-"): value for name, value in attrs.items()}
        return [
            attributes
            for element_tag, attributes in self.elements
            if (tag is None or element_tag == tag)
            and all(
                name in attributes and (value is True or attributes[name] == value)
                for name, value in wanted.items()
            )
        ]

    def by_id(self, element_id: str) -> dict[str, str]:
        found = self.find(id=element_id)
        assert len(found) == 1, f"{len(found)} elements with id {element_id}"
        return found[0]

    def text(self, element_id: str) -> str:
        return " ".join(self.text_by_id[element_id].split())
