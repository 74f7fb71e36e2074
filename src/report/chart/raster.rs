//! A scene as PNG bytes: rectangles and lines filled into an RGB buffer, text drawn glyph by
//! glyph from the embedded font (each placed at its own bounds, so letters keep their spacing),
//! blended by coverage; then a small PNG encoder. Pure and in memory.

use super::scene::{font, measure, Anchor, Rgb, Scene, Shape};
use ab_glyph::{point, Font, PxScale, ScaleFont};

struct Canvas {
    width: i32,
    height: i32,
    rgb: Vec<u8>,
}

impl Canvas {
    fn blend(&mut self, x: i32, y: i32, colour: Rgb, alpha: f32) {
        if x < 0 || y < 0 || x >= self.width || y >= self.height || alpha <= 0.0 {
            return;
        }
        let at = ((y * self.width + x) * 3) as usize;
        let alpha = alpha.min(1.0);
        for (i, c) in [colour.0, colour.1, colour.2].into_iter().enumerate() {
            let old = f32::from(self.rgb[at + i]);
            self.rgb[at + i] = (old + (f32::from(c) - old) * alpha).round() as u8;
        }
    }

    fn fill(&mut self, x: f32, y: f32, w: f32, h: f32, colour: Rgb) {
        let (x0, y0) = (x.round() as i32, y.round() as i32);
        let (x1, y1) = ((x + w).round() as i32, (y + h).round() as i32);
        for py in y0.max(0)..y1.min(self.height) {
            for px in x0.max(0)..x1.min(self.width) {
                self.blend(px, py, colour, 1.0);
            }
        }
    }

    fn text(
        &mut self,
        text: &str,
        (x, y): (f32, f32),
        size: f32,
        bold: bool,
        colour: Rgb,
        anchor: Anchor,
    ) {
        let width = measure(text, size, bold);
        let mut caret = match anchor {
            Anchor::Start => x,
            Anchor::Middle => x - width / 2.0,
            Anchor::End => x - width,
        };
        let face = font(bold);
        let scaled = face.as_scaled(PxScale::from(size));
        let mut previous = None;
        for c in text.chars() {
            let id = scaled.glyph_id(c);
            if let Some(p) = previous {
                caret += scaled.kern(p, id);
            }
            let glyph = id.with_scale_and_position(PxScale::from(size), point(caret, y));
            if let Some(outline) = face.outline_glyph(glyph) {
                let bounds = outline.px_bounds();
                let (left, top) = (bounds.min.x as i32, bounds.min.y as i32);
                outline.draw(|gx, gy, coverage| {
                    self.blend(left + gx as i32, top + gy as i32, colour, coverage);
                });
            }
            caret += scaled.h_advance(id);
            previous = Some(id);
        }
    }
}

pub fn png(scene: &Scene) -> Result<Vec<u8>, String> {
    let (width, height) = (scene.width as i32, scene.height as i32);
    let bg = scene.background;
    let mut canvas = Canvas {
        width,
        height,
        rgb: [bg.0, bg.1, bg.2].repeat((width * height) as usize),
    };
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
                if let Some(fill) = fill {
                    canvas.fill(*x, *y, *w, *h, *fill);
                }
                if let Some(s) = stroke {
                    canvas.fill(*x, *y, *w, 1.0, *s);
                    canvas.fill(*x, y + h - 1.0, *w, 1.0, *s);
                    canvas.fill(*x, *y, 1.0, *h, *s);
                    canvas.fill(x + w - 1.0, *y, 1.0, *h, *s);
                }
            }
            Shape::Line {
                x1,
                y1,
                x2,
                y2,
                colour,
            } => {
                let (x, y) = (x1.min(*x2), y1.min(*y2));
                canvas.fill(
                    x,
                    y,
                    (x2 - x1).abs().max(1.0),
                    (y2 - y1).abs().max(1.0),
                    *colour,
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
            } => canvas.text(text, (*x, *y), *size, *bold, *colour, *anchor),
        }
    }
    encode(scene.width, scene.height, &canvas.rgb)
}

/// An 8-bit RGB PNG of the pixels.
fn encode(width: u32, height: u32, rgb: &[u8]) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, width, height);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header().map_err(|e| e.to_string())?;
    writer.write_image_data(rgb).map_err(|e| e.to_string())?;
    writer.finish().map_err(|e| e.to_string())?;
    Ok(out)
}
