//! What a chart is drawn from: rectangles, lines and text at pixel positions, with the embedded
//! font's own metrics so a label is measured as it will be drawn. The same scene becomes a PNG
//! (`raster.rs`) or an SVG (`svg.rs`), so both look alike, colour for colour.

use ab_glyph::{Font, FontRef, PxScale, ScaleFont};
use std::sync::OnceLock;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rgb(pub u8, pub u8, pub u8);

impl Rgb {
    pub fn hex(self) -> String {
        format!("#{:02x}{:02x}{:02x}", self.0, self.1, self.2)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Anchor {
    Start,
    Middle,
    End,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Shape {
    Rect {
        x: f32,
        y: f32,
        w: f32,
        h: f32,
        fill: Option<Rgb>,
        stroke: Option<Rgb>,
    },
    /// Horizontal or vertical, one pixel wide.
    Line {
        x1: f32,
        y1: f32,
        x2: f32,
        y2: f32,
        colour: Rgb,
    },
    /// `y` is the baseline.
    Text {
        x: f32,
        y: f32,
        size: f32,
        bold: bool,
        colour: Rgb,
        anchor: Anchor,
        text: String,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct Scene {
    pub width: u32,
    pub height: u32,
    pub background: Rgb,
    pub shapes: Vec<Shape>,
}

pub fn font(bold: bool) -> &'static FontRef<'static> {
    static REGULAR: OnceLock<FontRef<'static>> = OnceLock::new();
    static BOLD: OnceLock<FontRef<'static>> = OnceLock::new();
    let (cell, bytes): (_, &'static [u8]) = if bold {
        (
            &BOLD,
            include_bytes!("../../../assets/fonts/DejaVuSans-Bold.ttf"),
        )
    } else {
        (
            &REGULAR,
            include_bytes!("../../../assets/fonts/DejaVuSans.ttf"),
        )
    };
    // The font is compiled into the binary and known good; the tests render with it.
    cell.get_or_init(|| FontRef::try_from_slice(bytes).expect("the embedded font parses"))
}

/// The width of `text` in pixels: each glyph's advance, kerning between them.
pub fn measure(text: &str, size: f32, bold: bool) -> f32 {
    let font = font(bold).as_scaled(PxScale::from(size));
    let mut width = 0.0;
    let mut previous = None;
    for c in text.chars() {
        let id = font.glyph_id(c);
        if let Some(p) = previous {
            width += font.kern(p, id);
        }
        width += font.h_advance(id);
        previous = Some(id);
    }
    width
}

/// `text`, cut with an ellipsis to fit `max` pixels.
pub fn fit(text: &str, size: f32, bold: bool, max: f32) -> String {
    let text = text.trim();
    if measure(text, size, bold) <= max {
        return text.to_owned();
    }
    let mut chars: Vec<char> = text.chars().collect();
    while !chars.is_empty() {
        chars.pop();
        let candidate = format!("{}…", chars.iter().collect::<String>().trim_end());
        if measure(&candidate, size, bold) <= max {
            return candidate;
        }
    }
    String::new()
}

/// The baseline that centres a line of text of `size` on `middle`.
pub fn centred_baseline(middle: f32, size: f32) -> f32 {
    middle + size * 0.36
}

impl Scene {
    pub fn new(width: u32, height: u32, background: Rgb) -> Self {
        Scene {
            width,
            height,
            background,
            shapes: Vec::new(),
        }
    }

    pub fn rect(&mut self, x: f32, y: f32, w: f32, h: f32, fill: Rgb) {
        self.shapes.push(Shape::Rect {
            x,
            y,
            w,
            h,
            fill: Some(fill),
            stroke: None,
        });
    }

    pub fn frame(&mut self, x: f32, y: f32, w: f32, h: f32, stroke: Rgb) {
        self.shapes.push(Shape::Rect {
            x,
            y,
            w,
            h,
            fill: None,
            stroke: Some(stroke),
        });
    }

    pub fn line(&mut self, (x1, y1): (f32, f32), (x2, y2): (f32, f32), colour: Rgb) {
        self.shapes.push(Shape::Line {
            x1,
            y1,
            x2,
            y2,
            colour,
        });
    }

    #[allow(clippy::too_many_arguments)]
    pub fn text(
        &mut self,
        text: impl Into<String>,
        (x, y): (f32, f32),
        size: f32,
        bold: bool,
        colour: Rgb,
        anchor: Anchor,
    ) {
        let text = text.into();
        if text.is_empty() {
            return;
        }
        self.shapes.push(Shape::Text {
            x,
            y,
            size,
            bold,
            colour,
            anchor,
            text,
        });
    }
}
