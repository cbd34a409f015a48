"""Issue 15 item 13: inline code stays in its paragraph; a ``<pre>`` listing is kept whole as one code block.

Inline code (``<code>`` inside a paragraph, ``<kbd>``, ``<samp>``, ``<tt>``, ``<var>``) is part of a sentence:
it must not split the paragraph into blocks ("which would emit / add.js / and ..."). A ``<pre>`` listing is
one code block with all its lines and their indentation, whatever markup a highlighter put inside it
(``<br>`` line breaks, one ``<span>`` per token, one ``<div>`` per line).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from reader.core.articles.blocks import RawBlock
from reader.core.articles.html import extract_html
from reader.core.articles.loader import load_article

FIXTURES = Path(__file__).parent / "fixtures" / "webpages"
INTRO = (
    "<p>Most tutorials on WebAssembly start with a toolchain that writes a large loader next to your module, "
    "which is more machinery than one small function needs.</p>"
)
OUTRO = (
    "<p>That is all it takes: no generated loader, no runtime, and the module stays a few hundred bytes. "
    "The export list is the only contract between the two sides.</p>"
)
LISTING = (
    "// add.c\n#include <emscripten.h>\n\nEMSCRIPTEN_KEEPALIVE\nint add(int a, int b) {\n    return a + b;\n}"
)


def blocks_of(fragment: str) -> list[RawBlock]:
    title = "<h1>Calling C from JavaScript</h1>"
    source = f"<html><body><article>{title}{INTRO}{fragment}{OUTRO}</article></body></html>"
    return extract_html(source).blocks


def code_blocks(blocks: list[RawBlock]) -> list[str]:
    return [b.text.strip("\n").rstrip() for b in blocks if b.kind == "code"]


def test_inline_code_stays_in_its_paragraph() -> None:
    blocks = blocks_of(
        "<p>The usual command is <code>emcc add.c -o add.js</code>, which would emit <code>add.js</code> and "
        "<code>add.wasm</code>. Instead we ask for the module alone.</p>"
    )
    assert code_blocks(blocks) == []
    paragraph = next(b.text for b in blocks if "usual command" in b.text)
    assert paragraph == (
        "The usual command is emcc add.c -o add.js, which would emit add.js and add.wasm. "
        "Instead we ask for the module alone."
    )


@pytest.mark.parametrize("tag", ["kbd", "samp", "tt", "var", "code"])
def test_other_inline_code_elements_stay_inline(tag: str) -> None:
    ctrl, c = f"<{tag}>Ctrl</{tag}>", f"<{tag}>C</{tag}>"
    blocks = blocks_of(f"<p>Press the key marked {ctrl} and then {c} to stop the build.</p>")
    assert code_blocks(blocks) == []
    assert any(b.text == "Press the key marked Ctrl and then C to stop the build." for b in blocks)


LISTING_SHAPES = {
    "br-lines": '<pre><code class="language-c">// add.c<br>#include &lt;emscripten.h&gt;<br><br>'
    "EMSCRIPTEN_KEEPALIVE<br>int add(int a, int b) {<br>    return a + b;<br>}</code></pre>",
    "br-in-pre": "<pre>// add.c<br>#include &lt;emscripten.h&gt;<br><br>EMSCRIPTEN_KEEPALIVE<br>"
    "int add(int a, int b) {<br>    return a + b;<br>}</pre>",
    "div-per-line": '<pre><div class="line">// add.c</div><div class="line">#include &lt;emscripten.h&gt;'
    '</div><div class="line"><br></div><div class="line">EMSCRIPTEN_KEEPALIVE</div>'
    '<div class="line">int add(int a, int b) {</div><div class="line">    return a + b;</div>'
    '<div class="line">}</div></pre>',
    "token-spans": '<div class="highlight"><pre class="chroma"><code class="language-c">'
    '<span class="c1">// add.c</span>\n'
    '<span class="cp">#include</span> <span class="cpf">&lt;emscripten.h&gt;</span>\n\n'
    '<span class="n">EMSCRIPTEN_KEEPALIVE</span>\n<span class="kt">int</span> <span class="nf">add</span>'
    '<span class="p">(</span><span class="kt">int</span> <span class="n">a</span><span class="p">,</span> '
    '<span class="kt">int</span> <span class="n">b</span><span class="p">)</span> <span class="p">{</span>\n'
    '    <span class="k">return</span> <span class="n">a</span> <span class="o">+</span> '
    '<span class="n">b</span><span class="p">;</span>\n<span class="p">}</span>\n</code></pre></div>',
    "code-without-pre": '<div class="snippet"><code>// add.c\n#include &lt;emscripten.h&gt;\n\n'
    "EMSCRIPTEN_KEEPALIVE\nint add(int a, int b) {\n    return a + b;\n}</code></div>",
    "plain": "<pre>// add.c\n#include &lt;emscripten.h&gt;\n\nEMSCRIPTEN_KEEPALIVE\nint add(int a, int b) {\n"
    "    return a + b;\n}</pre>",
}


@pytest.mark.parametrize("shape", sorted(LISTING_SHAPES))
def test_listing_is_one_code_block_with_all_lines(shape: str) -> None:
    blocks = blocks_of(f"<p>Here is the whole C side of the example:</p>{LISTING_SHAPES[shape]}")
    assert code_blocks(blocks) == [LISTING]
    kinds = [b.kind for b in blocks]
    assert kinds.count("code") == 1
    # The paragraphs around the listing are still there, as paragraphs.
    assert any(b.kind == "paragraph" and b.text.startswith("Here is the whole C side") for b in blocks)
    assert any(b.kind == "paragraph" and b.text.startswith("That is all it takes") for b in blocks)


def test_blog_post_keeps_inline_code_inline_and_listings_whole() -> None:
    article = load_article(FIXTURES / "blog_wasm.html")
    text = article.text
    assert (
        "The usual command is emcc add.c -o add.js, which would emit add.js and add.wasm. Instead we ask for "
        "the module alone with -o add.wasm and --no-entry, and press Ctrl+C if the build hangs." in text
    )
    assert "the n-th export is reachable as instance.exports." in text
    codes = [text[b.start : b.end] for b in article.blocks if b.kind == "code"]
    assert codes[0] == LISTING
    assert codes[1] == (
        "const { instance } = await WebAssembly.instantiateStreaming(\n"
        '    fetch("add.wasm")\n'
        ");\n\n"
        "console.log(instance.exports.add(2, 3));"
    )
    assert len(codes) == 2
