"""The Chinese catalogue covers every string of the survey page, and the .mo matches the .po."""

import gettext
import re
from pathlib import Path

LC = Path(__file__).resolve().parents[2] / "locale" / "zh_Hans" / "LC_MESSAGES"
SURVEY_SOURCES = ("templates/base.html", "templates/surveys/", "surveys/views/public.py", "surveys/forms.py")


def _unquote(lines: list[str]) -> str:
    text = "".join(line[line.index('"') + 1 : line.rindex('"')] for line in lines)
    return text.replace('\\"', '"').replace("\\n", "\n").replace("\\\\", "\\")


def entries():
    """(references, msgid, msgstr) for each entry; plural entries give msgstr[0]."""
    for block in (LC / "django.po").read_text(encoding="utf-8").split("\n\n"):
        lines = block.splitlines()
        refs = " ".join(line for line in lines if line.startswith("#: "))
        fields: dict[str, list[str]] = {}
        current = None
        for line in lines:
            match = re.match(r"^(msgid|msgid_plural|msgstr|msgstr\[0\]) ", line)
            if match:
                current = match.group(1)
                fields[current] = [line]
            elif line.startswith('"') and current:
                fields[current].append(line)
        if fields.get("msgid") and _unquote(fields["msgid"]):
            msgstr = fields.get("msgstr") or fields.get("msgstr[0]") or ['""']
            yield refs, _unquote(fields["msgid"]), _unquote(msgstr)


def test_every_survey_page_string_is_translated():
    missing = [
        msgid for refs, msgid, msgstr in entries() if any(s in refs for s in SURVEY_SOURCES) and not msgstr
    ]
    assert missing == []


def test_compiled_catalogue_matches_the_source():
    with (LC / "django.mo").open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    stale = [msgid for _, msgid, msgstr in entries() if msgstr and compiled.gettext(msgid) != msgstr]
    assert stale == []
