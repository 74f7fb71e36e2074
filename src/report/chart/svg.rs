//! A scene as SVG: the same shapes and colours as the PNG, readable at any zoom, its text real
//! text (so it can be selected, searched and read aloud).

use super::scene::{Anchor, Scene, Shape};
use std::fmt::Write;

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// `title` names the image for screen readers.
pub fn svg(scene: &Scene, title: &str) -> String {
    let mut out = String::new();
    let _ = write!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" width="100%" role="img" aria-labelledby="chart-title" font-family="DejaVu Sans, Verdana, sans-serif"><title id="chart-title">{title}</title><rect width="{w}" height="{h}" fill="{bg}"/>"#,
        w = scene.width,
        h = scene.height,
        bg = scene.background.hex(),
        title = escape(title),
    );
    for shape in &scene.shapes {
        match shape {
            Shape::Rect {
                x,
                y,
                w,
                h,
                fill,
                stroke,
            } => {
                let fill = fill.map_or("none".to_owned(), |f| f.hex());
                let stroke = stroke.map_or(String::new(), |s| format!(r#" stroke="{}""#, s.hex()));
                let _ = write!(
                    out,
                    r#"<rect x="{x}" y="{y}" width="{w}" height="{h}" fill="{fill}"{stroke}/>"#
                );
            }
            Shape::Line {
                x1,
                y1,
                x2,
                y2,
                colour,
            } => {
                let _ = write!(
                    out,
                    r#"<line x1="{x1}" y1="{y1}" x2="{x2}" y2="{y2}" stroke="{}"/>"#,
                    colour.hex()
                );
            }
            Shape::Text {
                x,
                y,
                size,
                bold,
                colour,
                anchor,
                text,
            } => {
                let anchor = match anchor {
                    Anchor::Start => "start",
                    Anchor::Middle => "middle",
                    Anchor::End => "end",
                };
                let weight = if *bold { r#" font-weight="bold""# } else { "" };
                let _ = write!(
                    out,
                    r#"<text x="{x}" y="{y}" font-size="{size}" fill="{}" text-anchor="{anchor}"{weight}>{}</text>"#,
                    colour.hex(),
                    escape(text)
                );
            }
        }
    }
    out.push_str("</svg>");
    out
}
