//! The organizers' Markdown (an event's description and practical information) as HTML
//! that is safe to put into a page: pulldown-cmark renders it, ammonia then keeps only an
//! allow-list of tags, attributes and URL schemes.
//!
//! Raw HTML in the Markdown is shown as the text it is, not interpreted: organizers write
//! Markdown, and a `<script>` or `<iframe>` pasted in is far more likely a mistake (or an
//! attack through a compromised account) than a wish. ammonia is the second wall: whatever
//! pulldown-cmark emits, no script, event handler or `javascript:` link gets through.

use std::collections::HashSet;
use std::num::NonZeroUsize;
use std::sync::{LazyLock, Mutex};

use lru::LruCache;

use pulldown_cmark::{Event, HeadingLevel, Options, Parser, Tag, TagEnd};

/// The cleaner: ammonia's defaults (which allow no script, style or event handler, and
/// only http, https, mailto and a few other URL schemes) without images, so that a page
/// loads nothing from hosts that an organizer linked to; links get `rel="noopener
/// noreferrer"`.
static CLEANER: LazyLock<ammonia::Builder<'static>> = LazyLock::new(|| {
    let mut b = ammonia::Builder::default();
    b.rm_tags(HashSet::from(["img"]));
    b
});

/// Markdown as HTML to embed in a page under a second-level heading: headings are moved
/// down two levels (`#` becomes `<h3>`), so that they fit the page's outline.
///
/// Rendered once per text and then taken from [`RENDERED`]: the invitee's page shows the
/// event's description and practical information on every read, and the invitation,
/// confirmation and announcement emails render them once per recipient. Cleaning the HTML
/// (ammonia parses it with html5ever) cost more than all the rest of a read: with 1.5 kB of
/// text the benchmark's reads fell from 16,000 to 5,400/s (BENCHMARKS.md, session 10).
pub fn to_safe_html(markdown: &str) -> String {
    if markdown.trim().is_empty() {
        return String::new();
    }
    if markdown.len() > CACHED_UP_TO {
        return render(markdown);
    }
    if let Some(html) = rendered().get(markdown) {
        return html.clone();
    }
    let html = render(markdown);
    rendered().put(markdown.to_owned(), html.clone());
    html
}

/// The HTML of the texts rendered lately, by their Markdown. Keyed by the text itself, not
/// by the event: an edited description is another key, so nothing is ever stale, and the
/// texts that are no longer shown age out.
static RENDERED: LazyLock<Mutex<LruCache<String, String>>> = LazyLock::new(|| {
    Mutex::new(LruCache::new(
        NonZeroUsize::new(CACHED_TEXTS).expect("a cache holds at least one text"),
    ))
});

/// Texts kept: the descriptions and practical information of the events being
/// registered for, and the announcements being sent, with room to spare.
const CACHED_TEXTS: usize = 256;

/// Longer texts are rendered each time, so that the cache stays within a few megabytes.
const CACHED_UP_TO: usize = 16 * 1024;

fn rendered() -> std::sync::MutexGuard<'static, LruCache<String, String>> {
    // The cache holds finished entries only: whatever panicked while holding it.
    RENDERED.lock().unwrap_or_else(|e| e.into_inner())
}

fn render(markdown: &str) -> String {
    let options = Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH;
    let events = Parser::new_ext(markdown, options).map(|event| match event {
        // Raw HTML is shown as text.
        Event::Html(html) | Event::InlineHtml(html) => Event::Text(html),
        Event::Start(Tag::Heading {
            level,
            id,
            classes,
            attrs,
        }) => Event::Start(Tag::Heading {
            level: lower(level),
            id,
            classes,
            attrs,
        }),
        Event::End(TagEnd::Heading(level)) => Event::End(TagEnd::Heading(lower(level))),
        other => other,
    });
    let mut html = String::with_capacity(markdown.len() * 3 / 2);
    pulldown_cmark::html::push_html(&mut html, events);
    CLEANER.clean(&html).to_string()
}

fn lower(level: HeadingLevel) -> HeadingLevel {
    match level {
        HeadingLevel::H1 => HeadingLevel::H3,
        HeadingLevel::H2 => HeadingLevel::H4,
        HeadingLevel::H3 => HeadingLevel::H5,
        _ => HeadingLevel::H6,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_becomes_html_with_headings_under_the_page_outline() {
        let html = to_safe_html("# Travel\n\nTake the **train** to [the campus](https://example.org/map).\n\n- one\n- two");
        assert!(html.contains("<h3>Travel</h3>"), "{html}");
        assert!(html.contains("<strong>train</strong>"), "{html}");
        assert!(
            html.contains(
                r#"<a href="https://example.org/map" rel="noopener noreferrer">the campus</a>"#
            ),
            "{html}"
        );
        assert!(html.contains("<li>one</li>"), "{html}");
    }

    #[test]
    fn scripts_raw_html_and_javascript_links_never_pass() {
        let cases = [
            "<script>alert(1)</script>",
            "Hello <img src=x onerror=alert(1)> there",
            "<iframe src=\"https://evil.example\"></iframe>",
            "[click](javascript:alert(1))",
            "[click](JaVaScRiPt:alert(1))",
            "[click](  javascript:alert(1))",
            "<a href=\"javascript:alert(1)\">x</a>",
            "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
            "![img](https://tracker.example/pixel.gif)",
            "<div onclick=\"alert(1)\">hi</div>",
            "<style>body{display:none}</style>",
        ];
        for md in cases {
            let html = to_safe_html(md).to_ascii_lowercase();
            assert!(!html.contains("<script"), "{md} -> {html}");
            assert!(!html.contains("<iframe"), "{md} -> {html}");
            assert!(!html.contains("<img"), "{md} -> {html}");
            assert!(!html.contains("<style"), "{md} -> {html}");
            assert!(!html.contains("<div"), "{md} -> {html}");
            // Raw HTML shows as escaped text; inside real tags, no link to a script or
            // data and no handler.
            for tag in html.split('<').skip(1) {
                let tag = tag.split('>').next().unwrap_or_default();
                for bad in ["javascript:", "data:", "onerror", "onclick"] {
                    assert!(!tag.contains(bad), "{md} -> {html}");
                }
            }
        }
        // Raw HTML is kept as the text it is.
        assert!(to_safe_html("<script>alert(1)</script>").contains("&lt;script&gt;"));
    }

    #[test]
    fn a_text_is_rendered_as_it_now_reads_whether_cached_or_long() {
        let first = to_safe_html("Arrive by **nine**.");
        assert_eq!(to_safe_html("Arrive by **nine**."), first);
        // An edited text is another entry: what was cached for the old one never shows.
        let edited = to_safe_html("Arrive by **ten**.");
        assert!(edited.contains("<strong>ten</strong>"), "{edited}");
        assert!(!edited.contains("nine"), "{edited}");
        // A text longer than the cache keeps renders the same way, each time.
        let long = format!("{}\n\n# End", "word ".repeat(CACHED_UP_TO / 4));
        let html = to_safe_html(&long);
        assert!(
            html.ends_with("<h3>End</h3>\n"),
            "{}",
            &html[html.len() - 40..]
        );
        assert_eq!(to_safe_html(&long), html);
        assert!(rendered().peek(long.as_str()).is_none());
    }

    #[test]
    fn empty_markdown_is_empty_html() {
        assert_eq!(to_safe_html("  \n"), "");
    }
}
