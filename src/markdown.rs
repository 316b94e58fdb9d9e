//! Markdown rendered to safe HTML, and read as plain text.
//!
//! Not web plumbing: pages, the Atom and iCalendar feeds and the Word minutes all read the same
//! Markdown through here, so it is rendered and stripped one way.
//!
//! Event descriptions and minutes are written by secretaries in Markdown and shown to every member, so the output
//! is inserted unescaped into pages (`|safe` in templates). Safety comes from two rules applied to the parser's
//! events rather than from a sanitiser run over HTML afterwards: raw HTML is never passed through (it is shown as
//! the text that was typed), and link and image URLs may only use http, https or mailto, or be relative.
use pulldown_cmark::{CowStr, Event, LinkType, Options, Parser, Tag, TagEnd, html};

/// What replaces a link or image URL whose scheme is not allowed.
const BLOCKED_URL: &str = "#";

/// Renders Markdown (CommonMark plus tables and strikethrough) to HTML that is safe to insert unescaped into a page.
///
/// Raw HTML blocks and inline HTML come out as escaped text; link and image URLs with a scheme other than http,
/// https or mailto become "#"; links get `rel="nofollow noopener"`.
///
/// Images are shown only from this site (a relative URL: a report's own photos). An image from
/// elsewhere becomes a link to it with its description as the text: pages forbid such images
/// (the content security policy), and in the Atom feed they would let another site see every
/// reader.
pub fn render(markdown: &str) -> String {
    let options = Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH;
    let mut image_depth = 0usize;
    // Per open image, whether it was turned into a link.
    let mut images: Vec<bool> = Vec::new();
    let events = Parser::new_ext(markdown, options).map(|event| match event {
        // Security: the text the user typed, never markup. HTML blocks become paragraphs so the escaped text is
        // still laid out as a block.
        Event::Html(text) | Event::InlineHtml(text) => Event::Text(text),
        Event::Start(Tag::HtmlBlock) => Event::Start(Tag::Paragraph),
        Event::End(TagEnd::HtmlBlock) => Event::End(TagEnd::Paragraph),
        Event::Start(Tag::Image { link_type, dest_url, title, id }) => {
            image_depth += 1;
            let dest_url = safe_url(dest_url, link_type);
            let elsewhere = !is_own(&dest_url);
            images.push(elsewhere);
            if elsewhere {
                Event::InlineHtml(link_open_tag(Tag::Link { link_type, dest_url, title, id }).into())
            } else {
                Event::Start(Tag::Image { link_type, dest_url, title, id })
            }
        }
        Event::End(TagEnd::Image) => {
            image_depth = image_depth.saturating_sub(1);
            if images.pop().unwrap_or(false) { Event::InlineHtml("</a>".into()) } else { Event::End(TagEnd::Image) }
        }
        // A link inside an image turned into a link: its text stays, without a second anchor.
        Event::Start(Tag::Link { .. }) | Event::End(TagEnd::Link) if images.last() == Some(&true) => {
            Event::Text("".into())
        }
        Event::Start(Tag::Link { link_type, dest_url, title, id }) => {
            let tag = Tag::Link { link_type, dest_url: safe_url(dest_url, link_type), title, id };
            if image_depth > 0 {
                // Inside an image's alt text links are dropped by the writer; markup would show up as text.
                Event::Start(tag)
            } else {
                Event::InlineHtml(link_open_tag(tag).into())
            }
        }
        other => other,
    });
    let mut out = String::with_capacity(markdown.len() * 3 / 2);
    html::push_html(&mut out, events);
    out
}

/// Markdown read as plain text, for places that show no markup (a calendar's DESCRIPTION):
/// emphasis, heading and code marks dropped, list items numbered or bulleted as typed lists
/// read, a link followed by its address, blocks on lines of their own.
pub fn plain_text(markdown: &str) -> String {
    plain(markdown, Lists::Marked)
}

/// Markdown as the paragraphs of a document that shows no markup (the Word minutes): the text of
/// [`plain_text`], one paragraph per block or typed line, trimmed, empty ones left out; list items
/// keep their numbers but not their bullets or indentation.
pub fn paragraphs(markdown: &str) -> Vec<String> {
    plain(markdown, Lists::Bare).lines().map(str::trim).filter(|l| !l.is_empty()).map(str::to_owned).collect()
}

/// How plain text shows the items of a list.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Lists {
    /// Bulleted ("- ") or numbered, nested items indented.
    Marked,
    /// Numbered items keep their number; nothing else marks an item.
    Bare,
}

fn plain(markdown: &str, lists_as: Lists) -> String {
    let options = Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH;
    let mut out = String::with_capacity(markdown.len());
    // Per open list: the next number (None for bullets).
    let mut lists: Vec<Option<u64>> = Vec::new();
    let mut links: Vec<String> = Vec::new();
    let block_end = |out: &mut String| {
        while out.ends_with(' ') {
            out.pop();
        }
        if !out.is_empty() && !out.ends_with('\n') {
            out.push('\n');
        }
    };
    for event in Parser::new_ext(markdown, options) {
        match event {
            Event::Text(t) | Event::Code(t) | Event::Html(t) | Event::InlineHtml(t) => out.push_str(&t),
            Event::SoftBreak | Event::HardBreak => out.push('\n'),
            Event::Start(Tag::Item) => {
                block_end(&mut out);
                if lists_as == Lists::Marked {
                    out.push_str(&"  ".repeat(lists.len().saturating_sub(1)));
                }
                match lists.last_mut() {
                    Some(Some(n)) => {
                        out.push_str(&format!("{n}. "));
                        *n += 1;
                    }
                    _ if lists_as == Lists::Marked => out.push_str("- "),
                    _ => {}
                }
            }
            Event::Start(Tag::List(first)) => {
                block_end(&mut out);
                lists.push(first);
            }
            Event::End(TagEnd::List(_)) => {
                lists.pop();
                block_end(&mut out);
            }
            Event::Start(Tag::Link { dest_url, .. }) => links.push(dest_url.into_string()),
            Event::End(TagEnd::Link) => {
                if let Some(url) = links.pop().filter(|u| !out.ends_with(u.as_str())) {
                    out.push_str(&format!(" ({url})"));
                }
            }
            Event::End(
                TagEnd::Paragraph | TagEnd::Heading(_) | TagEnd::CodeBlock | TagEnd::TableRow | TagEnd::Item,
            ) => block_end(&mut out),
            Event::End(TagEnd::TableHead) => block_end(&mut out),
            Event::End(TagEnd::TableCell) => out.push('\t'),
            Event::Rule => {
                block_end(&mut out);
                out.push_str("----\n");
            }
            _ => {}
        }
    }
    out.trim_end().to_owned()
}

/// The `<a …>` opening tag pulldown-cmark writes for a link (with its escaping), plus `rel="nofollow noopener"`.
///
/// Letting the writer render the tag keeps href and title escaping in one place; we only append an attribute
/// before the closing `>`, which cannot occur inside the escaped attribute values.
fn link_open_tag(tag: Tag<'_>) -> String {
    let mut open = String::new();
    html::push_html(&mut open, std::iter::once(Event::Start(tag)));
    match open.strip_suffix('>') {
        Some(start) => format!("{start} rel=\"nofollow noopener\">"),
        None => open,
    }
}

/// Whether a URL names something of this site: relative, without a scheme or a host of its own.
fn is_own(url: &str) -> bool {
    let cleaned: String = url.chars().filter(|c| !c.is_control() && !c.is_whitespace()).collect();
    is_allowed_url(&cleaned)
        && !cleaned.contains(':')
        && !cleaned.starts_with("//")
        && !cleaned.starts_with("\\\\")
        && !cleaned.starts_with("/\\")
        && url != BLOCKED_URL
}

/// The URL if its scheme is allowed (http, https, mailto, or none: relative and fragment links), else "#".
fn safe_url(url: CowStr<'_>, link_type: LinkType) -> CowStr<'_> {
    // Email autolinks (<someone@example.org>) get "mailto:" prepended by the writer.
    if link_type == LinkType::Email || is_allowed_url(&url) { url } else { CowStr::Borrowed(BLOCKED_URL) }
}

/// Whether a URL's scheme is one we allow, judged the way a browser would see it.
///
/// Browsers strip leading C0 controls and spaces and drop tabs and newlines anywhere before finding the scheme, and
/// schemes are case-insensitive, so "JaVaScRiPt:", " javascript:" and "java\tscript:" all run script. We go further
/// and ignore every control character and whitespace: blocking a strange relative link costs little.
fn is_allowed_url(url: &str) -> bool {
    let cleaned: String = url.chars().filter(|c| !c.is_control() && !c.is_whitespace()).collect();
    // A colon before any '/', '?' or '#' ends a scheme; without one the URL is relative ("page", "/x", "#top",
    // "?q=a:b", "./a:b").
    let end = cleaned.find(['/', '?', '#']).unwrap_or(cleaned.len());
    match cleaned[..end].split_once(':') {
        None => true,
        Some((scheme, _)) => ["http", "https", "mailto"].iter().any(|allowed| scheme.eq_ignore_ascii_case(allowed)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_drops_the_marks() {
        let md = "## 议程\n\n1. 学习：**全会精神**\n2. 交流发言\n\n请携带*学习笔记本*，见 [通知](https://example.org/n)。\n\n- 甲\n- `乙`";
        assert_eq!(
            plain_text(md),
            "议程\n1. 学习：全会精神\n2. 交流发言\n请携带学习笔记本，见 通知 (https://example.org/n)。\n- 甲\n- 乙"
        );
        assert_eq!(plain_text("<b>x</b> & y"), "<b>x</b> & y");
        assert_eq!(plain_text("<https://a.example>"), "https://a.example");
    }

    #[test]
    fn paragraphs_for_documents() {
        // What the Word minutes show of a summary (Word shows no Markdown).
        assert_eq!(paragraphs("# 标题\n\n- 一是**把牢**方向\n> 引文 `x`"), ["标题", "一是把牢方向", "引文 x"]);
        assert_eq!(paragraphs("第一点\t要点🎉\nשלום\u{200F} 结束"), ["第一点\t要点🎉", "שלום\u{200F} 结束"]);
        assert_eq!(
            paragraphs("结合岗位谈**学习体会**<script>alert(1)</script>"),
            ["结合岗位谈学习体会<script>alert(1)</script>"]
        );
        assert_eq!(
            paragraphs("1. 甲\n2. 乙\n   - 丙\n\n\n见 [通知](https://example.org/n)"),
            ["1. 甲", "2. 乙", "丙", "见 通知 (https://example.org/n)"]
        );
        assert!(paragraphs("  \n\n").is_empty());
    }

    #[test]
    fn emphasis_and_a_normal_link() {
        let html = render("Hello *world* and **all**: [our site](https://partyday.example.org/a?b=1&c=2 \"Home\").");
        assert_eq!(
            html,
            "<p>Hello <em>world</em> and <strong>all</strong>: <a href=\"https://partyday.example.org/a?b=1&amp;c=2\" \
             title=\"Home\" rel=\"nofollow noopener\">our site</a>.</p>\n"
        );
    }

    #[test]
    fn script_tags_are_text() {
        let html = render("<script>alert(1)</script>\n\nafter");
        assert!(!html.contains("<script"), "{html}");
        assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"), "{html}");
        assert!(html.contains("<p>after</p>"), "{html}");
    }

    #[test]
    fn inline_html_is_text() {
        let html = render("look <img src=x onerror=alert(1)> here <b>bold</b>");
        assert!(!html.contains("<img"), "{html}");
        assert!(!html.contains("<b>"), "{html}");
        assert!(html.contains("&lt;img src=x onerror=alert(1)&gt;"), "{html}");
        assert!(html.contains("&lt;b&gt;bold&lt;/b&gt;"), "{html}");
    }

    #[test]
    fn html_blocks_are_text_in_a_paragraph() {
        let html = render("<div onclick=\"steal()\">\nhi\n</div>\n");
        assert!(!html.contains("<div"), "{html}");
        assert!(html.starts_with("<p>&lt;div onclick=\"steal()\"&gt;\nhi\n&lt;/div&gt;"), "{html}");
        assert!(html.trim_end().ends_with("</p>"), "{html}");
    }

    #[test]
    fn script_links_are_blocked() {
        for md in [
            "[x](javascript:alert(1))",
            "[x](JaVaScRiPt:alert(1))",
            "[x](< javascript:alert(1)>)",
            "[x](<java\tscript:alert(1)>)",
            "[x](java&#9;script:alert(1))",
            "[x](javascript&colon;alert(1))",
            "[x](&#x01;javascript:alert(1))",
            "[x](vbscript:msgbox(1))",
            "[x](data:text/html;base64,PHNjcmlwdD4=)",
            "[x](file:///etc/passwd)",
            "[x][r]\n\n[r]: javascript:alert(1)",
        ] {
            let html = render(md);
            assert!(html.contains("<a href=\"#\" rel=\"nofollow noopener\">x</a>"), "{md:?} gave {html}");
            assert!(!html.to_ascii_lowercase().contains("script:"), "{md:?} gave {html}");
        }
    }

    #[test]
    fn image_urls_are_checked_too() {
        let html = render("![x](data:image/svg+xml;base64,PHN2Zz4=)");
        assert_eq!(html, "<p><a href=\"#\" rel=\"nofollow noopener\">x</a></p>\n");
        let html = render("![logo](/static/logo.png \"Logo\")");
        assert_eq!(html, "<p><img src=\"/static/logo.png\" alt=\"logo\" title=\"Logo\" /></p>\n");
        let html = render("![a [link](javascript:x) inside](/activities/1/photos/2)");
        assert_eq!(html, "<p><img src=\"/activities/1/photos/2\" alt=\"a link inside\" /></p>\n");
    }

    #[test]
    fn images_from_elsewhere_become_links_to_them() {
        // Pages forbid them (CSP) and in the feed they would tell another site who reads it.
        for (md, href) in [
            ("![合影](https://example.org/i.png)", "https://example.org/i.png"),
            ("![合影](//example.org/i.png)", "//example.org/i.png"),
            ("![合影](/\\example.org/i.png)", "/%5Cexample.org/i.png"),
            ("![合影](HTTP://example.org/i.png)", "HTTP://example.org/i.png"),
        ] {
            let html = render(md);
            assert_eq!(html, format!("<p><a href=\"{href}\" rel=\"nofollow noopener\">合影</a></p>\n"), "{md}");
        }
        let html = render("![a [link](https://x.example) inside](https://example.org/i.png)");
        assert_eq!(html, "<p><a href=\"https://example.org/i.png\" rel=\"nofollow noopener\">a link inside</a></p>\n");
    }

    #[test]
    fn autolinks() {
        let html = render("<https://example.org/x> and <someone@example.org>");
        assert_eq!(
            html,
            "<p><a href=\"https://example.org/x\" rel=\"nofollow noopener\">https://example.org/x</a> and \
             <a href=\"mailto:someone@example.org\" rel=\"nofollow noopener\">someone@example.org</a></p>\n"
        );
        // A CommonMark autolink with a bad scheme keeps its text but loses its target.
        let html = render("<javascript:alert(1)>");
        assert_eq!(html, "<p><a href=\"#\" rel=\"nofollow noopener\">javascript:alert(1)</a></p>\n");
    }

    #[test]
    fn allowed_and_relative_urls_pass() {
        for (md, href) in [
            ("[x](http://example.org)", "http://example.org"),
            ("[x](HTTPS://example.org)", "HTTPS://example.org"),
            ("[x](mailto:a@example.org)", "mailto:a@example.org"),
            ("[x](/events/42)", "/events/42"),
            ("[x](events/42)", "events/42"),
            ("[x](#agenda)", "#agenda"),
            ("[x](?q=a:b)", "?q=a:b"),
            ("[x](./a:b)", "./a:b"),
        ] {
            let html = render(md);
            assert_eq!(html, format!("<p><a href=\"{href}\" rel=\"nofollow noopener\">x</a></p>\n"), "{md}");
        }
    }

    #[test]
    fn attribute_values_cannot_break_out() {
        let html = render("[x](https://example.org/\"onmouseover=alert(1) \"t\\\"itle\")");
        assert!(!html.contains("\" onmouseover"), "{html}");
        let html = render("[x](<https://example.org/a\"b> 'say \"hi\"')");
        assert!(html.contains("href=\"https://example.org/a%22b\""), "{html}");
        assert!(html.contains("title=\"say &quot;hi&quot;\""), "{html}");
    }

    #[test]
    fn tables_and_strikethrough() {
        let html = render("| 姓名 | 出席 |\n|---|:-:|\n| 张三 | 是 |\n\n~~取消~~");
        assert!(html.contains("<table>"), "{html}");
        assert!(html.contains("<th>姓名</th>"), "{html}");
        assert!(html.contains("<td style=\"text-align: center\">是</td>"), "{html}");
        assert!(html.contains("<del>取消</del>"), "{html}");
    }

    #[test]
    fn chinese_text_passes_through() {
        assert_eq!(
            render("# 主题党日\n\n学习**党章**，讨论《决议》。"),
            "<h1>主题党日</h1>\n<p>学习<strong>党章</strong>，讨论《决议》。</p>\n"
        );
    }

    #[test]
    fn plain_text_is_escaped() {
        assert_eq!(render("a < b & c > d"), "<p>a &lt; b &amp; c &gt; d</p>\n");
        assert_eq!(render("`<b>`"), "<p><code>&lt;b&gt;</code></p>\n");
        assert_eq!(render(""), "");
    }

    #[test]
    fn scheme_check() {
        assert!(is_allowed_url("https://example.org"));
        assert!(is_allowed_url("MailTo:x@example.org"));
        assert!(is_allowed_url(""));
        assert!(is_allowed_url("page#a:b"));
        assert!(!is_allowed_url("javascript:alert(1)"));
        assert!(!is_allowed_url("\u{0}javascript:alert(1)"));
        assert!(!is_allowed_url("\n\tjava\nscript:alert(1)"));
        assert!(!is_allowed_url("java\u{200b}script:alert(1)"));
        assert!(!is_allowed_url("vbscript:x"));
        assert!(!is_allowed_url("DATA:text/html,x"));
        assert!(!is_allowed_url("ftp://example.org"));
    }
}
