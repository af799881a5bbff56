"""Formats group 2: arXiv Atom and RSS feeds, and the safe XML they go through."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reader.formats import detect, load_path
from reader.formats.base import Source
from reader.formats.xmlsafe import XmlError, parse_xml
from reader.model import Digest

SAMPLES = Path(__file__).resolve().parent.parent / "sample_digests" / "formats"


def _load(tmp_path: Path, name: str, text: str) -> Digest:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    [digest] = load_path(path)
    return digest


ATOM_OLD = SAMPLES / "arxiv-api-2016-10-09.xml"

ATOM_NEW = """<?xml version='1.0' encoding='UTF-8'?>
<feed xmlns:arxiv="http://arxiv.org/schemas/atom" xmlns="http://www.w3.org/2005/Atom">
  <title>arXiv Query: search_query=all:testing</title>
  <updated>2026-04-12T22:45:06Z</updated>
  <entry>
    <id>http://arxiv.org/abs/2202.12139v1</id>
    <title>Testing Deep Learning Models</title>
    <link href="https://arxiv.org/abs/2202.12139v1" rel="alternate" type="text/html"/>
    <link href="https://arxiv.org/pdf/2202.12139v1" rel="related" type="application/pdf" title="pdf"/>
    <summary>A survey of &lt;i&gt;testing&lt;/i&gt; methods &amp;amp; a small study.</summary>
    <category term="cs.SE" scheme="http://arxiv.org/schemas/atom"/>
    <category term="cs.LG" scheme="http://arxiv.org/schemas/atom"/>
    <published>2022-02-24T15:05:19Z</published>
    <arxiv:comment>Workshop paper</arxiv:comment>
    <arxiv:primary_category term="cs.SE"/>
    <author><name>Bal\\'azs Kov\\'acs</name></author>
    <author><name>Ann Smith</name></author>
  </entry>
</feed>
"""


# --- Atom ---------------------------------------------------------------------------------


def test_old_style_atom_sample() -> None:
    [d] = load_path(ATOM_OLD)
    assert d.format == "arxiv-atom" and d.problems == []
    assert d.date == "2016-10-09"
    first, second = d.papers
    assert first.id == "1201.4869"
    assert first.title == "A Luttinger Liquid Core Inside Helium-4 Filled Nanopores"
    assert first.abstract.startswith("Quantum Monte Carlo simulations of helium-4 confined")
    assert "\n\nThe core behaves like a Luttinger liquid" in first.abstract  # paragraph kept
    assert first.arxiv_comments == "26 pages, 10 figures"
    assert first.journal_ref is not None and first.journal_ref.startswith("Int. J. Mod. Phys. B")
    assert "Comments:" not in first.abstract and "Journal ref:" not in first.abstract
    assert first.doi == "10.1142/s021797921244002x"
    assert first.link("doi") == "https://doi.org/10.1142/S021797921244002X"
    assert first.tags == ["cond-mat.mes-hall", "cond-mat.other"]
    assert first.published == "2012-01-23" and first.dates == ["2016-10-09"]
    assert second.id == "cond-mat/0412498"
    assert second.authors == ["Adrian Del Maestro", "Subir Sachdev"]
    assert second.link("pdf") == "https://arxiv.org/pdf/cond-mat/0412498v1"  # made https


def test_new_style_atom_html_and_tex(tmp_path: Path) -> None:
    d = _load(tmp_path, "q.xml", ATOM_NEW)
    [p] = d.papers
    assert p.abstract.startswith("A survey of testing methods & a small study.")
    assert p.authors == ["Balázs Kovács", "Ann Smith"]
    assert p.tags == ["cs.SE", "cs.LG"]
    assert p.link("abs") == "https://arxiv.org/abs/2202.12139v1"
    assert d.date == "2026-04-12"


def test_cassette_json_is_read(tmp_path: Path) -> None:
    cassette = {"url": "https://export.arxiv.org/api/query?x", "status_code": 200, "body": ATOM_NEW}
    path = tmp_path / "rec.json"
    path.write_text(json.dumps(cassette), encoding="utf-8")
    [d] = load_path(path)
    assert d.format == "arxiv-atom"
    assert [p.id for p in d.papers] == ["2202.12139"]


def test_atom_empty_feed_is_an_empty_day(tmp_path: Path) -> None:
    d = _load(
        tmp_path,
        "empty.xml",
        '<feed xmlns="http://www.w3.org/2005/Atom"><title>arXiv Query</title>'
        "<updated>2026-01-02T00:00:00Z</updated></feed>",
    )
    assert d.format == "arxiv-atom" and d.papers == [] and d.problems == []
    assert d.date == "2026-01-02"


def test_atom_api_error_entry_is_a_problem(tmp_path: Path) -> None:
    d = _load(
        tmp_path,
        "err.xml",
        '<feed xmlns="http://www.w3.org/2005/Atom"><title>arXiv Query</title><entry>'
        "<id>http://arxiv.org/api/errors#incorrect_id_format</id><title>Error</title>"
        "<summary>incorrect id format for 1234</summary></entry></feed>",
    )
    assert d.papers == []
    assert "incorrect id format for 1234" in str(d.problems[0])


def test_malformed_atom_names_line_and_column(tmp_path: Path) -> None:
    d = _load(
        tmp_path,
        "bad.xml",
        '<feed xmlns="http://www.w3.org/2005/Atom">\n<entry>\n<title>x</titel>\n</entry></feed>',
    )
    assert d.papers == []
    [problem] = d.problems
    assert problem.line == 3
    assert str(problem).startswith(f"{tmp_path / 'bad.xml'}:3: not well-formed XML (line 3, column")


# --- XML bombs ----------------------------------------------------------------------------

BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<feed xmlns="http://www.w3.org/2005/Atom"><entry><title>&lol9;</title>
<id>http://arxiv.org/abs/2401.00001</id></entry></feed>
"""

EXTERNAL = """<?xml version="1.0"?>
<!DOCTYPE rss [<!ENTITY x SYSTEM "file:///etc/passwd">]>
<rss version="2.0"><channel><title>arXiv</title>
<item><title>&x;</title><link>https://arxiv.org/abs/2401.00002</link></item></channel></rss>
"""


@pytest.mark.parametrize(("name", "text"), [("bomb.xml", BILLION_LAUGHS), ("xxe.xml", EXTERNAL)])
def test_entity_bombs_are_refused_without_expanding(tmp_path: Path, name: str, text: str) -> None:
    d = _load(tmp_path, name, text)
    assert d.papers == []
    [problem] = d.problems
    assert "DOCTYPE declarations are not allowed" in problem.message
    assert problem.line == 2
    assert "root:" not in str(problem) and "lollol" not in str(problem)


def test_entity_declaration_hidden_after_the_root_is_refused() -> None:
    with pytest.raises(XmlError):
        parse_xml('<feed><!DOCTYPE x [<!ENTITY a "b">]><title>&a;</title></feed>')


# --- RSS ----------------------------------------------------------------------------------


def test_rss_sample() -> None:
    [d] = load_path(SAMPLES / "arxiv-rss-2025-05-26.xml")
    assert d.format == "rss" and d.problems == []
    assert d.date == "2025-05-26"
    first, second = d.papers
    assert first.id == "2505.17037"
    assert first.abstract.startswith("Swapping the nouns and verbs of a prompt")
    assert "Announce Type" not in first.abstract
    assert first.tags == ["cs.CL", "announce:new"]
    assert first.dates == ["2025-05-26"]
    assert second.title == "Controlled Agentic Planning & Reasoning for Mechanism Synthesis"
    assert second.authors == ["João Pedro Gandarela", "Thiago Rios", "Stefan Menzel"]
    assert second.ai_summary == "An LLM summary may come first."
    assert "announce:cross" in second.tags


def test_rss_bare_ampersand_is_repaired_with_a_warning(tmp_path: Path) -> None:
    text = (
        '<rss version="2.0"><channel><title>arXiv filter</title>\n'
        "<item><title>Planning & Reasoning</title>\n"
        "<guid>oai:arXiv.org:oai:arXiv.org:2505.17607v1</guid>\n"
        "<description><![CDATA[A & B. arXiv:2505.17607v1 Announce Type: new \n"
        "Abstract: Text with R&D.]]></description></item></channel></rss>"
    )
    d = _load(tmp_path, "feed.xml", text)
    [p] = d.papers
    assert p.id == "2505.17607"  # the doubled oai: guid
    assert p.title == "Planning & Reasoning"
    assert p.abstract == "Text with R&D."
    assert p.ai_summary == "A & B."  # CDATA left alone
    [warning] = d.problems
    assert warning.severity == "warning" and warning.line == 2
    assert "bare '&'" in warning.message


def test_rss_old_title_form_and_escaped_html(tmp_path: Path) -> None:
    text = (
        '<rss version="2.0"><channel><title>Chat Arxiv cs.CL</title><item>'
        "<title>&#26412;&#25991;</title><link>http://arxiv.org/abs/2304.01974</link>"
        "<description>&lt;p&gt;&#21307;&#23398;&lt;/p&gt;&lt;p&gt;Dialogue Re-ranking for History-Taking."
        " (arXiv:2304.01974v1 [cs.CL])&lt;/p&gt;&lt;p&gt;http://arxiv.org/abs/2304.01974&lt;/p&gt;"
        "&lt;p&gt;&#26412;&#25991;&#25552;&#20986;&lt;/p&gt;"
        "&lt;p&gt;We study re-ranking of questions.&lt;/p&gt;</description></item></channel></rss>"
    )
    d = _load(tmp_path, "cs.CL.xml", text)
    [p] = d.papers
    assert p.title == "Dialogue Re-ranking for History-Taking"
    assert p.id == "2304.01974" and p.tags == ["cs.CL"]
    assert p.abstract == "We study re-ranking of questions."
    assert p.ai_summary == "本文"


def test_rss_1_0_rdf(tmp_path: Path) -> None:
    text = """<?xml version="1.0"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/"
 xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel rdf:about="http://arxiv.org/rss/cs.CL"><title>cs.CL updates on arXiv.org</title>
<dc:date>2023-04-05T20:30:00-05:00</dc:date></channel>
<item rdf:about="http://arxiv.org/abs/2304.01974">
<title>Dialogue Re-ranking. (arXiv:2304.01974v1 [cs.CL])</title>
<link>http://arxiv.org/abs/2304.01974</link>
<description>&lt;p&gt;We study re-ranking.&lt;/p&gt;</description>
<dc:creator>&lt;a href="http://arxiv.org/a/x"&gt;Ann Smith&lt;/a&gt;, &lt;a href="x"&gt;Bo Li&lt;/a&gt;</dc:creator>
</item></rdf:RDF>"""
    d = _load(tmp_path, "cs.CL.rdf.xml", text)
    [p] = d.papers
    assert p.title == "Dialogue Re-ranking"
    assert p.authors == ["Ann Smith", "Bo Li"]
    assert p.dates == ["2023-04-05"]


def test_feedparser_dump(tmp_path: Path) -> None:
    dump = {
        "https://rss.arxiv.org/rss/cs.CL": {
            "feed": {"title": "cs.CL updates", "published": "Mon, 26 May 2025 00:00:00 -0400"},
            "entries": [
                {
                    "id": "oai:arXiv.org:2505.17037v1",
                    "title": "Prompt Vocabulary",
                    "link": "https://arxiv.org/abs/2505.17037",
                    "author": "Ann Smith, Bo Li",
                    "summary": "arXiv:2505.17037v1 Announce Type: replace \nAbstract: Words matter.",
                },
                "not an entry",
            ],
        }
    }
    path = tmp_path / "rss_cache.json"
    path.write_text(json.dumps(dump), encoding="utf-8")
    [d] = load_path(path)
    assert d.format == "rss"
    [p] = d.papers
    assert (p.id, p.abstract, p.authors) == ("2505.17037", "Words matter.", ["Ann Smith", "Bo Li"])
    assert "announce:replace" in p.tags and p.dates == ["2025-05-26"]
    assert [str(x) for x in d.problems] == [f"{path}: record 2: entry is not a JSON object"]


def test_empty_rss_channel(tmp_path: Path) -> None:
    d = _load(tmp_path, "e.xml", '<rss version="2.0"><channel><title>arXiv</title></channel></rss>')
    assert d.format == "rss" and d.papers == [] and d.problems == []


def test_detect_by_content_not_name() -> None:
    atom = Source("feed.txt", ATOM_OLD.read_bytes())
    fmt = detect(atom)
    assert fmt is not None and fmt.name == "arxiv-atom"


# --- real files ---------------------------------------------------------------------------


@pytest.mark.real
@pytest.mark.parametrize(
    ("name", "count", "day"),
    [
        ("arxiv_api_2016_search_query=au_del_maestro.xml", 10, "2016-10-09"),
        ("arxiv_api_2016_id_list=1111.2011v2.xml", 1, "2016-10-09"),
        ("arxiv_api_2026_q_testing_s0_m100_body.xml", 100, "2026-04-12"),
        ("arxiv_api_2026_q_testing_s0_m100_cassette.json", 100, "2026-04-12"),
        ("arxiv_api_2026_id_astro-ph_0601001_body.xml", 1, "2026-05-11"),
        ("arxiv_api_2026_id_astro-ph_0601001_cassette.json", 1, "2026-05-11"),
    ],
)
def test_real_atom(real: Path, name: str, count: int, day: str) -> None:
    [d] = load_path(real / "atom" / name)
    assert d.format == "arxiv-atom" and d.problems == []
    assert len(d.papers) == count and d.date == day
    assert all(p.title and p.abstract and p.authors for p in d.papers)
    if "del_maestro" in name:
        assert "cond-mat/0412498" in {p.id for p in d.papers}
    if "astro-ph" in name:
        assert d.papers[0].id == "astro-ph/0601001"


@pytest.mark.real
def test_real_rss_feed_not_well_formed(real: Path) -> None:
    path = real / "rss" / "dzdydx_arxiv-rss-filter_feed.xml"
    [d] = load_path(path)
    assert len(d.papers) == 125
    assert [(p.line, p.severity) for p in d.problems] == [(1133, "warning")]
    titles = {p.title for p in d.papers}
    assert "Controlled Agentic Planning & Reasoning for Mechanism Synthesis" in titles
    assert all(p.abstract and "Announce Type" not in p.abstract for p in d.papers)
    assert all(p.arxiv_id for p in d.papers)


@pytest.mark.real
def test_real_rss_qhduan(real: Path) -> None:
    [d] = load_path(real / "rss" / "qhduan_cn-chat-arxiv_cs.CL.xml")
    assert len(d.papers) == 69 and d.problems == []
    first = d.papers[0]
    assert first.title == "Dialogue-Contextualized Re-ranking for Medical History-Taking"
    assert first.abstract.startswith("AI-driven medical history-taking")
    assert "cs.CL" in first.tags


@pytest.mark.real
def test_real_feedparser_dump(real: Path) -> None:
    path = real / "rss" / "dzdydx_arxiv-rss-filter_rss_cache_feedparser.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    ids = {e["id"].rsplit(":", 1)[-1].split("v")[0] for f in data.values() for e in f["entries"]}
    [d] = load_path(path)
    assert d.problems == []
    assert {p.id for p in d.papers} == ids  # 922 items, 900 unique papers
    tags = [t for p in d.papers for t in p.tags if t.startswith("announce:")]
    assert {"announce:new", "announce:replace", "announce:cross", "announce:replace-cross"} <= set(
        tags
    )
