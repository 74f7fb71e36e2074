//! The PNG chart of a person's spread across sphere levels per competency.
//!
//! Rendering is pure and in memory: plotters draws into an RGB buffer and a small PNG encoder
//! below turns it into bytes, so the server needs neither system fonts nor a writable disk.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use std::sync::OnceLock;

pub const WIDTH: u32 = 1200;
pub const HEIGHT: u32 = 800;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChartData {
    pub title: String,
    /// Sphere level labels in rank order.
    pub levels: Vec<String>,
    /// One per competency, in framework order.
    pub rows: Vec<ChartRow>,
    /// Multiplier figures (label, value), printed beside the chart.
    pub figures: Vec<(String, String)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChartRow {
    pub label: String,
    /// Aligned with `ChartData::levels`.
    pub counts: Vec<u32>,
}

#[derive(Debug, thiserror::Error)]
pub enum ChartError {
    #[error("the embedded chart font could not be loaded")]
    Font,
    #[error("drawing the chart failed: {0}")]
    Draw(String),
}

// The family plotters asks for by default, so axis labels use the embedded font too.
const FONT: &str = "sans-serif";

fn register_fonts() -> Result<(), ChartError> {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    let ok = *REGISTERED.get_or_init(|| {
        let regular = include_bytes!("../../assets/fonts/DejaVuSans.ttf");
        let bold = include_bytes!("../../assets/fonts/DejaVuSans-Bold.ttf");
        plotters::style::register_font(FONT, FontStyle::Normal, regular).is_ok()
            && plotters::style::register_font(FONT, FontStyle::Bold, bold).is_ok()
    });
    if ok {
        Ok(())
    } else {
        Err(ChartError::Font)
    }
}

// `FontDesc::style` keeps the regular face's glyphs, so bold is asked for when the font is made.
fn bold(size: f64) -> FontDesc<'static> {
    FontDesc::new(FontFamily::Name(FONT), size, FontStyle::Bold)
}

// Okabe–Ito: distinguishable with the common colour-vision deficiencies.
const PALETTE: [RGBColor; 7] = [
    RGBColor(0, 114, 178),   // blue
    RGBColor(230, 159, 0),   // orange
    RGBColor(0, 158, 115),   // bluish green
    RGBColor(204, 121, 167), // reddish purple
    RGBColor(86, 180, 233),  // sky blue
    RGBColor(213, 94, 0),    // vermillion
    RGBColor(240, 228, 66),  // yellow
];
// "unknown" is the absence of a placement, so it should not compete with the real levels.
const UNKNOWN: RGBColor = RGBColor(170, 170, 170);
const INK: RGBColor = RGBColor(33, 33, 33);
const MUTED: RGBColor = RGBColor(110, 110, 110);

fn level_colour(index: usize, label: &str) -> RGBColor {
    if label.eq_ignore_ascii_case("unknown") {
        UNKNOWN
    } else {
        PALETTE[index % PALETTE.len()]
    }
}

const MARGIN: i32 = 28;
const PANEL_WIDTH: u32 = 290;
const TITLE_BAND: u32 = 72;

/// PNG bytes, always `WIDTH` x `HEIGHT`.
pub fn render(data: &ChartData) -> Result<Vec<u8>, ChartError> {
    register_fonts()?;
    let mut pixels = vec![0u8; (WIDTH * HEIGHT * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut pixels, (WIDTH, HEIGHT)).into_drawing_area();
        draw(&root, data).map_err(|e| ChartError::Draw(e.to_string()))?;
        root.present()
            .map_err(|e| ChartError::Draw(e.to_string()))?;
    }
    encode_png(WIDTH, HEIGHT, &pixels)
}

type DrawResult<DB> = Result<(), DrawingAreaErrorKind<<DB as DrawingBackend>::ErrorType>>;

fn draw<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, data: &ChartData) -> DrawResult<DB> {
    root.fill(&WHITE)?;
    let inner = root.margin(MARGIN, MARGIN, MARGIN, MARGIN);
    let (top, body) = inner.split_vertically(TITLE_BAND);

    let title_style = TextStyle::from(bold(30.0)).color(&INK);
    let title = fit(&top, &data.title, &title_style, WIDTH - 2 * MARGIN as u32)?;
    top.draw(&Text::new(title, (0, 4), title_style))?;

    let (plot, panel) = body.split_horizontally(WIDTH - 2 * MARGIN as u32 - PANEL_WIDTH);
    draw_panel(&panel.margin(0, 0, 24, 0), data)?;

    let max_total = data
        .rows
        .iter()
        .map(|r| r.counts.iter().sum::<u32>())
        .max()
        .unwrap_or(0);
    if max_total == 0 {
        draw_empty(&plot)
    } else {
        draw_bars(&plot, data, max_total)
    }
}

fn draw_empty<DB: DrawingBackend>(plot: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
    let (w, h) = plot.dim_in_pixel();
    let (w, h) = (w as i32, h as i32);
    plot.draw(&Rectangle::new(
        [(0, 0), (w - 1, h - 1)],
        RGBColor(200, 200, 200).stroke_width(2),
    ))?;
    let style = TextStyle::from((FONT, 28).into_font())
        .color(&MUTED)
        .pos(Pos::new(HPos::Center, VPos::Center));
    plot.draw(&Text::new(
        "No evidence in this period",
        (w / 2, h / 2),
        style,
    ))
}

fn draw_bars<DB: DrawingBackend>(
    plot: &DrawingArea<DB, Shift>,
    data: &ChartData,
    max_total: u32,
) -> DrawResult<DB> {
    let label_style = TextStyle::from((FONT, label_size(data.rows.len())).into_font()).color(&INK);
    // Labels take what they need up to a cap; longer ones are cut with an ellipsis.
    let max_label_width = 300;
    let mut labels = Vec::with_capacity(data.rows.len());
    let mut widest = 0;
    for row in &data.rows {
        let label = fit(plot, &row.label, &label_style, max_label_width)?;
        widest = widest.max(plot.estimate_text_size(&label, &label_style)?.0);
        labels.push(label);
    }

    // Headroom on the right so the total printed after the longest bar stays inside.
    let x_max = max_total + (max_total / 8).max(1);
    // Row i is the band n-i-1..n-i, so the framework's first competency is on top.
    let n = data.rows.len() as f64;
    let band = |i: usize| (n - i as f64 - 1.0, n - i as f64);
    let mut chart = ChartBuilder::on(plot)
        .margin_right(8)
        .x_label_area_size(56)
        .y_label_area_size(widest + 16)
        .build_cartesian_2d(0u32..x_max, 0f64..n)?;

    chart
        .configure_mesh()
        .disable_y_mesh()
        // The competency labels are drawn below, one per bar; plotters would place ticks evenly.
        .y_labels(0)
        .x_labels(10)
        .x_label_formatter(&|x| x.to_string())
        .x_label_style(TextStyle::from((FONT, 16).into_font()).color(&INK))
        .x_desc("Items of evidence")
        .axis_desc_style(TextStyle::from((FONT, 17).into_font()).color(&MUTED))
        // Lines only at the labelled ticks: finer ones make a busy background behind the bars.
        .light_line_style(TRANSPARENT)
        .bold_line_style(RGBColor(222, 222, 222))
        .axis_style(RGBColor(120, 120, 120))
        .draw()?;

    let label_style = label_style.pos(Pos::new(HPos::Right, VPos::Center));
    let total_style = TextStyle::from((FONT, 15).into_font())
        .color(&INK)
        .pos(Pos::new(HPos::Left, VPos::Center));
    let origin = plot.get_base_pixel();
    // Bars fill 60% of their band, but no more than 48 pixels: a lone bar should not look like
    // a wall.
    let band_pixels = chart.plotting_area().dim_in_pixel().1 as f64 / n;
    let gap = (1.0 - (48.0 / band_pixels).min(0.6)) / 2.0;
    for (i, (row, label)) in data.rows.iter().zip(&labels).enumerate() {
        let (bottom, top) = band(i);
        let middle = (bottom + top) / 2.0;
        let (x, y) = chart.backend_coord(&(0, middle));
        plot.draw(&Text::new(
            label.as_str(),
            (x - origin.0 - 10, y - origin.1),
            label_style.clone(),
        ))?;

        let mut start = 0;
        for (level, &count) in row.counts.iter().enumerate() {
            if count == 0 {
                continue;
            }
            let name = data.levels.get(level).map(String::as_str).unwrap_or("");
            chart.draw_series(std::iter::once(Rectangle::new(
                [(start, bottom + gap), (start + count, top - gap)],
                level_colour(level, name).filled(),
            )))?;
            start += count;
        }
        if start > 0 {
            chart.draw_series(std::iter::once(
                EmptyElement::at((start, middle))
                    + Text::new(start.to_string(), (6, 0), total_style.clone()),
            ))?;
        }
    }
    Ok(())
}

fn label_size(rows: usize) -> u32 {
    if rows > 10 {
        15
    } else {
        18
    }
}

fn draw_panel<DB: DrawingBackend>(
    panel: &DrawingArea<DB, Shift>,
    data: &ChartData,
) -> DrawResult<DB> {
    let width = panel.dim_in_pixel().0 as i32;
    let heading = TextStyle::from(bold(19.0)).color(&INK);
    let text = TextStyle::from((FONT, 17).into_font()).color(&INK);
    let value = TextStyle::from(bold(17.0))
        .color(&INK)
        .pos(Pos::new(HPos::Right, VPos::Top));

    let swatch_label = text.clone().pos(Pos::new(HPos::Left, VPos::Center));

    let mut y = 0;
    panel.draw(&Text::new("Sphere level", (0, y), heading.clone()))?;
    y += 34;
    for (i, level) in data.levels.iter().enumerate() {
        panel.draw(&Rectangle::new(
            [(0, y), (18, y + 18)],
            level_colour(i, level).filled(),
        ))?;
        let name = fit(panel, level, &text, (width - 30) as u32)?;
        panel.draw(&Text::new(name, (30, y + 9), swatch_label.clone()))?;
        y += 28;
    }

    if data.figures.is_empty() {
        return Ok(());
    }
    y += 24;
    panel.draw(&Text::new("Multiplier", (0, y), heading))?;
    y += 34;
    for (label, figure) in &data.figures {
        let figure = fit(panel, figure, &value, (width / 2) as u32)?;
        let figure_width = panel.estimate_text_size(&figure, &value)?.0 as i32;
        let room = (width - figure_width - 12).max(0) as u32;
        let label = fit(panel, label, &text, room)?;
        panel.draw(&Text::new(label, (0, y), text.clone()))?;
        panel.draw(&Text::new(figure, (width, y), value.clone()))?;
        y += 28;
    }
    Ok(())
}

/// `text` cut with an ellipsis so it is at most `max_width` pixels wide in `style`.
fn fit<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    text: &str,
    style: &TextStyle,
    max_width: u32,
) -> Result<String, DrawingAreaErrorKind<DB::ErrorType>> {
    let text = text.trim();
    if area.estimate_text_size(text, style)?.0 <= max_width {
        return Ok(text.to_owned());
    }
    let mut chars: Vec<char> = text.chars().collect();
    while !chars.is_empty() {
        chars.pop();
        let candidate = format!("{}…", chars.iter().collect::<String>().trim_end());
        if area.estimate_text_size(&candidate, style)?.0 <= max_width {
            return Ok(candidate);
        }
    }
    Ok(String::new())
}

/// An 8-bit RGB PNG of the rendered pixels.
fn encode_png(width: u32, height: u32, rgb: &[u8]) -> Result<Vec<u8>, ChartError> {
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, width, height);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder
        .write_header()
        .map_err(|e| ChartError::Draw(e.to_string()))?;
    writer
        .write_image_data(rgb)
        .map_err(|e| ChartError::Draw(e.to_string()))?;
    writer
        .finish()
        .map_err(|e| ChartError::Draw(e.to_string()))?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn levels() -> Vec<String> {
        ["self", "team", "group", "org", "external", "unknown"]
            .map(String::from)
            .to_vec()
    }

    fn figures() -> Vec<(String, String)> {
        [
            ("Multiplier items", "3"),
            ("People helped", "3"),
            ("Teams", "2"),
            ("Reach", "group"),
        ]
        .map(|(a, b)| (a.to_owned(), b.to_owned()))
        .to_vec()
    }

    fn row(label: &str, counts: &[u32]) -> ChartRow {
        ChartRow {
            label: label.to_owned(),
            counts: counts.to_vec(),
        }
    }

    fn typical() -> ChartData {
        ChartData {
            title: "Ana Lima · 2026-08-01 to 2026-10-30".into(),
            levels: levels(),
            rows: vec![
                row("Technical skills", &[4, 3, 1, 0, 0, 1]),
                row("Delivery", &[2, 5, 2, 1, 0, 0]),
                row(
                    "Feedback, communication and collaboration",
                    &[1, 2, 0, 0, 0, 2],
                ),
                row("Leadership", &[0, 1, 3, 1, 0, 0]),
                row("Strategic impact", &[0, 0, 1, 2, 1, 0]),
                row("Values", &[0, 0, 0, 0, 0, 0]),
            ],
            figures: figures(),
        }
    }

    fn empty() -> ChartData {
        ChartData {
            title: "Ana Lima · 2026-08-01 to 2026-10-30".into(),
            levels: levels(),
            rows: vec![],
            figures: vec![],
        }
    }

    fn many() -> ChartData {
        let rows = (0..15)
            .map(|i| {
                let counts = (0..6).map(|l| (i * 37 + l * 53) % 90).collect::<Vec<_>>();
                row(&format!("Competency number {}", i + 1), &counts)
            })
            .collect();
        ChartData { rows, ..typical() }
    }

    fn long_labels() -> ChartData {
        let mut data = typical();
        data.title = "Maria Aparecida dos Santos Oliveira Fernandes de Albuquerque · 2026-08-01 to 2026-10-30 (quarterly review packet)".into();
        data.rows[0].label =
            "Technical skills, craftsmanship, code quality and architecture".into();
        data.rows[3].label = "Leadership ".repeat(8);
        data.levels[4] = "external (community, open source, conferences)".into();
        data.figures.push((
            "People helped across teams and groups this period".into(),
            "12345".into(),
        ));
        data
    }

    fn one_row() -> ChartData {
        ChartData {
            rows: vec![row("Technical skills", &[1])],
            figures: vec![],
            ..typical()
        }
    }

    /// Width and height as the PNG's IHDR chunk states them.
    fn png_size(png: &[u8]) -> (u32, u32) {
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
        assert_eq!(&png[12..16], b"IHDR");
        let be = |at: usize| u32::from_be_bytes(png[at..at + 4].try_into().unwrap());
        (be(16), be(20))
    }

    #[test]
    fn renders_a_png_of_the_fixed_size_for_empty_and_full_data() {
        for data in [empty(), typical(), many(), long_labels(), one_row()] {
            let png = render(&data).unwrap();
            assert_eq!(png_size(&png), (WIDTH, HEIGHT));
            assert!(
                png.ends_with(&[0xAE, 0x42, 0x60, 0x82]),
                "IEND chunk closes the file"
            );
        }
    }

    #[test]
    fn all_zero_counts_render_like_no_rows() {
        let mut zeros = typical();
        for row in &mut zeros.rows {
            row.counts.iter_mut().for_each(|c| *c = 0);
        }
        zeros.figures = vec![];
        assert_eq!(render(&zeros).unwrap(), render(&empty()).unwrap());
    }

    #[test]
    fn different_data_gives_different_bytes() {
        let a = render(&typical()).unwrap();
        let mut other = typical();
        other.rows[0].counts[0] += 1;
        let b = render(&other).unwrap();
        assert_ne!(a, b);
        assert_eq!(a, render(&typical()).unwrap(), "rendering is deterministic");
    }

    /// Writes the examples for a person to look at: `CAIRN_CHART_DIR=/tmp cargo test --lib chart`.
    #[test]
    fn writes_examples_when_asked() {
        let Ok(dir) = std::env::var("CAIRN_CHART_DIR") else {
            return;
        };
        for (name, data) in [
            ("empty", empty()),
            ("typical", typical()),
            ("many", many()),
            ("long", long_labels()),
            ("one", one_row()),
        ] {
            let started = std::time::Instant::now();
            let png = render(&data).unwrap();
            eprintln!("{name}: {:?}, {} bytes", started.elapsed(), png.len());
            std::fs::write(format!("{dir}/cairn-chart-{name}.png"), png).unwrap();
        }
    }
}
