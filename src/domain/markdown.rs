//! The organizers' Markdown (an event's description and practical information) as HTML
//! that is safe to put into a page: pulldown-cmark renders it, ammonia then keeps only an
//! allow-list of tags, attributes and URL schemes.
//!
//! Raw HTML in the Markdown is shown as the text it is, not interpreted: organizers write
//! Markdown, and a `<script>` or `<iframe>` pasted in is far more likely a mistake (or an
//! attack through a compromised account) than a wish. ammonia is the second wall: whatever
//! pulldown-cmark emits, no script, event handler or `javascript:` link gets through.

use std::collections::HashSet;
use std::sync::LazyLock;

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
pub fn to_safe_html(markdown: &str) -> String {
    if markdown.trim().is_empty() {
        return String::new();
    }
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
    fn empty_markdown_is_empty_html() {
        assert_eq!(to_safe_html("  \n"), "");
    }
}
