"""The English catalogue: complete, placeholders intact, the committed .mo matches the .po, and
pages rendered for an English visitor show English.

The .po files are read with a small parser of our own so that the test needs no gettext tools; the
.mo files are read with the standard library's `gettext`, as Django reads them."""

import gettext
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings

MESSAGES = Path(settings.BASE_DIR) / "locale" / "en" / "LC_MESSAGES"
CATALOGUES = sorted(MESSAGES.glob("*.po"))
# %(name)s, %s, %d, %% (python-format) and {name} (the live panel's own formatter).
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|%[sd%]|\{\w*\}")
TAG = re.compile(r"</?[a-zA-Z][^>]*>")
ESCAPES = {"n": "\n", "t": "\t", '"': '"', "\\": "\\"}
# Chinese interface texts that must not survive on an English page.
CHINESE = ["网络司法拍卖平台", "首页", "登录", "用户名", "密码", "跳到正文", "竞买人", "正在进行"]
CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")


@dataclass
class Entry:
    msgid: str = ""
    context: str | None = None
    plural: str | None = None
    msgstr: dict = field(default_factory=dict)  # plural index (0 without plural) -> text
    flags: set = field(default_factory=set)
    line: int = 0


def _unquote(text: str) -> str:
    return re.sub(r"\\(.)", lambda m: ESCAPES[m.group(1)], text[1:-1])


def parse_po(path: Path) -> list[Entry]:
    """The entries of a .po file, header included, obsolete (#~) entries left out."""
    entries, entry, target = [], None, None
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#~"):
            continue
        if line.startswith("#"):
            if entry is None or entry.msgstr:
                entry = Entry(line=number)
                entries.append(entry)
            if line.startswith("#,"):
                entry.flags.update(flag.strip() for flag in line[2:].split(","))
            continue
        keyword, _space, rest = line.partition(" ")
        if keyword == "msgctxt":
            if entry is None or entry.msgstr:
                entry = Entry(line=number)
                entries.append(entry)
            entry.context = ""
            target = ("context", None)
        elif keyword == "msgid":
            if entry is None or entry.msgstr:
                entry = Entry(line=number)
                entries.append(entry)
            target = ("msgid", None)
        elif keyword == "msgid_plural":
            target = ("plural", None)
        elif keyword.startswith("msgstr"):
            index = int(keyword[7:-1]) if "[" in keyword else 0
            entry.msgstr[index] = ""
            target = ("msgstr", index)
        else:  # a continuation line of the current string
            rest = line
        text = _unquote(rest)
        if target[0] == "msgstr":
            entry.msgstr[target[1]] += text
        elif target[0] == "plural":
            entry.plural = (entry.plural or "") + text
        elif target[0] == "context":
            entry.context += text
        else:
            entry.msgid += text
    return entries


def messages(path: Path) -> list[Entry]:
    return [entry for entry in parse_po(path) if entry.msgid]


def pairs(entry: Entry) -> list[tuple[str, str]]:
    """(source, translation) for each form: the plural msgstr answers msgid_plural."""
    return [(entry.msgid if index == 0 else entry.plural, text) for index, text in sorted(entry.msgstr.items())]


def catalogue_id(path: Path) -> str:
    return path.name


def test_the_english_catalogue_exists():
    assert MESSAGES.joinpath("django.po").exists()
    assert len(messages(MESSAGES / "django.po")) > 100


@pytest.mark.parametrize("po", CATALOGUES, ids=catalogue_id)
def test_every_entry_is_translated_and_none_is_fuzzy(po):
    header = parse_po(po)[0]
    assert header.msgid == "" and "Plural-Forms: nplurals=2; plural=(n != 1);" in header.msgstr[0]
    untranslated = [e.msgid for e in messages(po) if any(not text for text in e.msgstr.values())]
    fuzzy = [e.msgid for e in messages(po) if "fuzzy" in e.flags]
    assert untranslated == []
    assert fuzzy == []


@pytest.mark.parametrize("po", CATALOGUES, ids=catalogue_id)
def test_placeholders_and_html_tags_are_kept(po):
    wrong = [
        (entry.line, source, text)
        for entry in messages(po)
        for source, text in pairs(entry)
        if Counter(PLACEHOLDER.findall(source)) != Counter(PLACEHOLDER.findall(text))
        or Counter(TAG.findall(source)) != Counter(TAG.findall(text))
    ]
    assert wrong == []


@pytest.mark.parametrize("po", CATALOGUES, ids=catalogue_id)
def test_the_committed_mo_matches_the_po(po):
    with po.with_suffix(".mo").open("rb") as mo_file:
        compiled = gettext.GNUTranslations(mo_file)
    stale = []
    for entry in messages(po):
        if entry.plural is None and entry.context is None:
            found = [compiled.gettext(entry.msgid)]
        elif entry.plural is None:
            found = [compiled.pgettext(entry.context, entry.msgid)]
        elif entry.context is None:  # English plural forms: index 0 for n == 1, index 1 otherwise
            found = [compiled.ngettext(entry.msgid, entry.plural, n) for n in (1, 2)]
        else:
            found = [compiled.npgettext(entry.context, entry.msgid, entry.plural, n) for n in (1, 2)]
        if found != [text for _index, text in sorted(entry.msgstr.items())]:
            stale.append(entry.msgid)
    assert stale == [], "run: manage.py compilemessages -l en"


def test_the_parser_reads_contexts():
    entries = messages(MESSAGES / "django.po")
    assert any(e.context for e in entries)
    assert all(e.msgid for e in entries if e.context is not None)


def test_the_parser_reads_plural_and_multi_line_entries():
    entries = messages(MESSAGES / "django.po")
    plural = [e for e in entries if e.plural]
    assert plural and all(set(e.msgstr) == {0, 1} for e in plural)
    long = max(entries, key=lambda e: len(e.msgid))
    assert len(long.msgid) > 79 and "%(" in long.msgstr[0]  # the catalogue wraps these over lines


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/", "/accounts/login/", "/accounts/signup/", "/auctions/"])
def test_pages_for_an_english_visitor_are_in_english(client, url):
    client.cookies["django_language"] = "en"
    html = client.get(url).content.decode()
    assert '<html lang="en">' in html
    assert "Online Judicial Auction Platform" in html and "Skip to content" in html
    assert [text for text in CHINESE if text in html] == []
    # With no data in the database, the only Chinese left is the language selector's own name.
    assert CJK.findall(html.replace("简体中文", "")) == []


@pytest.mark.django_db
def test_the_login_page_in_english(client):
    client.cookies["django_language"] = "en"
    html = client.get("/accounts/login/").content.decode()
    for text in ("Log in", "Username", "Password", "No account? Sign up as a bidder"):
        assert text in html


@pytest.mark.django_db
def test_the_header_language_selector_switches_to_english_and_back(client):
    assert "网络司法拍卖平台" in client.get("/").content.decode()  # zh-hans is the default
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert response.status_code == 302 and response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    assert "Online Judicial Auction Platform" in client.get("/").content.decode()
    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})
    assert "网络司法拍卖平台" in client.get("/").content.decode()
