//! The chart of a person's growth, as a PNG for the packet and an SVG for the review page: their
//! spread across sphere levels per competency with the multiplier figures, their growth by
//! quarter, and the evidence against the next level as a grid.
//!
//! The chart is laid out once as a scene of rectangles, lines and text (`scene.rs`), measured
//! with the embedded font; `raster.rs` and `svg.rs` draw that scene, so the server needs neither
//! system fonts nor a writable disk, and both forms look alike.

mod raster;
mod scene;
mod svg;

use scene::{centred_baseline, fit, measure, Anchor, Rgb, Scene};

pub const WIDTH: u32 = 1200;
/// The tallest a chart gets (every part, the grid full); it ends after its last part.
pub const HEIGHT: u32 = 1280;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChartData {
    pub title: String,
    /// Sphere level labels in rank order.
    pub levels: Vec<String>,
    /// One per competency, in framework order.
    pub rows: Vec<ChartRow>,
    /// Multiplier figures (label, value), printed beside the chart.
    pub figures: Vec<(String, String)>,
    /// Growth by quarter, oldest first.
    pub quarters: Vec<QuarterBar>,
    /// The evidence against a level, as a grid.
    pub lens: Option<LensGrid>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChartRow {
    pub label: String,
    /// Aligned with `ChartData::levels`.
    pub counts: Vec<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuarterBar {
    pub label: String,
    /// Aligned with `ChartData::levels`.
    pub counts: Vec<u32>,
    /// The quarter's reach in words ("Team", "not yet").
    pub reach: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mark {
    Evidenced,
    Partly,
    NotYet,
    /// Cairn cannot tell it from evidence.
    ToRead,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LensGrid {
    /// "Against Staff engineer".
    pub title: String,
    /// Dimension names.
    pub columns: Vec<String>,
    pub rows: Vec<LensGridRow>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LensGridRow {
    pub label: String,
    /// Aligned with the columns; `None` where the level expects nothing of that dimension.
    pub cells: Vec<Option<Mark>>,
}

#[derive(Debug, thiserror::Error)]
pub enum ChartError {
    #[error("drawing the chart failed: {0}")]
    Draw(String),
}

// Okabe–Ito: distinguishable with the common colour-vision deficiencies.
const PALETTE: [Rgb; 7] = [
    Rgb(0, 114, 178),   // blue
    Rgb(230, 159, 0),   // orange
    Rgb(0, 158, 115),   // bluish green
    Rgb(204, 121, 167), // reddish purple
    Rgb(86, 180, 233),  // sky blue
    Rgb(213, 94, 0),    // vermillion
    Rgb(240, 228, 66),  // yellow
];
// "unknown" is the absence of a placement, so it should not compete with the real levels.
const UNKNOWN: Rgb = Rgb(170, 170, 170);
const INK: Rgb = Rgb(33, 33, 33);
const MUTED: Rgb = Rgb(110, 110, 110);
const GRID: Rgb = Rgb(222, 222, 222);
const AXIS: Rgb = Rgb(120, 120, 120);
const WHITE: Rgb = Rgb(255, 255, 255);

fn level_colour(index: usize, label: &str) -> Rgb {
    if label.eq_ignore_ascii_case("unknown") {
        UNKNOWN
    } else {
        PALETTE[index % PALETTE.len()]
    }
}

const MARGIN: f32 = 28.0;
const PANEL_WIDTH: f32 = 290.0;
/// The spread per competency: from under the title to its axis labels.
const SPREAD_TOP: f32 = 92.0;
const SPREAD_HEIGHT: f32 = 520.0;
const QUARTERS_TOP: f32 = 650.0;
const LENS_TOP: f32 = 880.0;
/// Grid rows shown before "and N more".
const LENS_ROWS: usize = 9;

/// PNG bytes, `WIDTH` wide and at most `HEIGHT` tall.
pub fn render(data: &ChartData) -> Result<Vec<u8>, ChartError> {
    raster::png(&layout(data)).map_err(ChartError::Draw)
}

/// The same chart as SVG, for a web page.
pub fn svg(data: &ChartData) -> String {
    svg::svg(&layout(data), &data.title)
}

fn layout(data: &ChartData) -> Scene {
    let mut s = Scene::new(WIDTH, HEIGHT, WHITE);
    let width = WIDTH as f32 - 2.0 * MARGIN;
    let title = fit(&data.title, 30.0, true, width);
    s.text(
        title,
        (MARGIN, MARGIN + 30.0),
        30.0,
        true,
        INK,
        Anchor::Start,
    );
    let panel_x = WIDTH as f32 - MARGIN - PANEL_WIDTH;
    panel(&mut s, data, panel_x, SPREAD_TOP + 24.0);
    spread(&mut s, data, MARGIN, panel_x - 24.0);
    let mut bottom = SPREAD_TOP + SPREAD_HEIGHT;
    if !data.quarters.is_empty() {
        bottom = quarters(&mut s, data);
    }
    if let Some(grid) = &data.lens {
        bottom = lens(&mut s, grid);
    }
    s.height = ((bottom + MARGIN) as u32).min(HEIGHT);
    s
}

/// A round step for about `ticks` ticks up to `max`.
fn tick_step(max: u32, ticks: u32) -> u32 {
    let raw = (max as f64 / ticks as f64).max(1.0);
    let magnitude = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * magnitude)
        .find(|s| *s >= raw)
        .unwrap_or(raw);
    step.max(1.0) as u32
}

/// Stacked horizontal bars of `counts` split by level, left to right from `x0`.
fn stacked(
    s: &mut Scene,
    levels: &[String],
    counts: &[u32],
    x0: f32,
    per_item: f32,
    y: f32,
    h: f32,
) -> f32 {
    let mut x = x0;
    for (level, &count) in counts.iter().enumerate() {
        if count == 0 {
            continue;
        }
        let name = levels.get(level).map(String::as_str).unwrap_or("");
        let w = count as f32 * per_item;
        s.rect(x, y, w, h, level_colour(level, name));
        x += w;
    }
    x
}

fn spread(s: &mut Scene, data: &ChartData, left: f32, right: f32) {
    let (top, bottom) = (SPREAD_TOP, SPREAD_TOP + SPREAD_HEIGHT - 56.0);
    let max_total = data
        .rows
        .iter()
        .map(|r| r.counts.iter().sum::<u32>())
        .max()
        .unwrap_or(0);
    if max_total == 0 {
        s.frame(left, top, right - left, bottom - top, Rgb(200, 200, 200));
        let baseline = centred_baseline((top + bottom) / 2.0, 28.0);
        s.text(
            "No evidence in this period",
            ((left + right) / 2.0, baseline),
            28.0,
            false,
            MUTED,
            Anchor::Middle,
        );
        return;
    }
    let size = if data.rows.len() > 10 { 15.0 } else { 18.0 };
    // Labels take what they need up to a cap; longer ones are cut with an ellipsis.
    let labels: Vec<String> = data
        .rows
        .iter()
        .map(|r| fit(&r.label, size, false, 300.0))
        .collect();
    let widest = labels
        .iter()
        .map(|l| measure(l, size, false))
        .fold(0.0, f32::max);
    let x0 = left + widest + 16.0;
    let x1 = right - 8.0;
    // Headroom on the right so the total printed after the longest bar stays inside.
    let x_max = max_total + (max_total / 8).max(1);
    let per_item = (x1 - x0) / x_max as f32;
    let step = tick_step(x_max, 10);
    let mut tick = 0;
    while tick <= x_max {
        let x = x0 + tick as f32 * per_item;
        s.line((x, top), (x, bottom), GRID);
        s.text(
            tick.to_string(),
            (x, bottom + 24.0),
            16.0,
            false,
            INK,
            Anchor::Middle,
        );
        tick += step;
    }
    s.line((x0, top), (x0, bottom), AXIS);
    s.line((x0, bottom), (x1, bottom), AXIS);
    s.text(
        "Items of evidence",
        ((x0 + x1) / 2.0, bottom + 50.0),
        17.0,
        false,
        MUTED,
        Anchor::Middle,
    );
    let band = (bottom - top) / data.rows.len() as f32;
    // Bars fill 60% of their band, but no more than 48 pixels: a lone bar should not look like
    // a wall.
    let thickness = (band * 0.6).min(48.0);
    for (i, (row, label)) in data.rows.iter().zip(&labels).enumerate() {
        let middle = top + band * (i as f32 + 0.5);
        s.text(
            label.clone(),
            (x0 - 10.0, centred_baseline(middle, size)),
            size,
            false,
            INK,
            Anchor::End,
        );
        let end = stacked(
            s,
            &data.levels,
            &row.counts,
            x0,
            per_item,
            middle - thickness / 2.0,
            thickness,
        );
        let total: u32 = row.counts.iter().sum();
        if total > 0 {
            s.text(
                total.to_string(),
                (end + 6.0, centred_baseline(middle, 15.0)),
                15.0,
                false,
                INK,
                Anchor::Start,
            );
        }
    }
}

fn panel(s: &mut Scene, data: &ChartData, x: f32, top: f32) {
    let mut y = top;
    s.text(
        "Sphere level",
        (x, y + 19.0),
        19.0,
        true,
        INK,
        Anchor::Start,
    );
    y += 34.0;
    for (i, level) in data.levels.iter().enumerate() {
        s.rect(x, y, 18.0, 18.0, level_colour(i, level));
        let name = fit(level, 17.0, false, PANEL_WIDTH - 30.0);
        s.text(
            name,
            (x + 30.0, centred_baseline(y + 9.0, 17.0)),
            17.0,
            false,
            INK,
            Anchor::Start,
        );
        y += 28.0;
    }
    if data.figures.is_empty() {
        return;
    }
    y += 24.0;
    s.text("Multiplier", (x, y + 19.0), 19.0, true, INK, Anchor::Start);
    y += 34.0;
    for (label, figure) in &data.figures {
        let figure = fit(figure, 17.0, true, PANEL_WIDTH / 2.0);
        let room = PANEL_WIDTH - measure(&figure, 17.0, true) - 12.0;
        let label = fit(label, 17.0, false, room.max(0.0));
        s.text(label, (x, y + 17.0), 17.0, false, INK, Anchor::Start);
        s.text(
            figure,
            (x + PANEL_WIDTH, y + 17.0),
            17.0,
            true,
            INK,
            Anchor::End,
        );
        y += 28.0;
    }
}

/// Draws growth by quarter; where it ends.
fn quarters(s: &mut Scene, data: &ChartData) -> f32 {
    let top = QUARTERS_TOP;
    s.text(
        "Growth by quarter",
        (MARGIN, top + 19.0),
        19.0,
        true,
        INK,
        Anchor::Start,
    );
    let max = data
        .quarters
        .iter()
        .map(|q| q.counts.iter().sum::<u32>())
        .max()
        .unwrap_or(0)
        .max(1);
    let x0 = MARGIN + 130.0;
    let x1 = WIDTH as f32 - MARGIN - 330.0;
    let per_item = (x1 - x0) / max as f32;
    for (i, q) in data.quarters.iter().enumerate() {
        let middle = top + 56.0 + i as f32 * 44.0;
        s.text(
            fit(&q.label, 17.0, false, 120.0),
            (x0 - 12.0, centred_baseline(middle, 17.0)),
            17.0,
            false,
            INK,
            Anchor::End,
        );
        let end = stacked(
            s,
            &data.levels,
            &q.counts,
            x0,
            per_item,
            middle - 14.0,
            28.0,
        );
        let total: u32 = q.counts.iter().sum();
        let words = format!("{total} · reach {}", q.reach);
        let words = fit(&words, 16.0, false, WIDTH as f32 - MARGIN - end - 8.0);
        s.text(
            words,
            (end + 8.0, centred_baseline(middle, 16.0)),
            16.0,
            false,
            INK,
            Anchor::Start,
        );
    }
    top + 56.0 + data.quarters.len() as f32 * 44.0
}

fn mark_style(mark: Option<Mark>) -> (Option<Rgb>, &'static str) {
    match mark {
        Some(Mark::Evidenced) => (Some(Rgb(196, 233, 220)), "evidenced"),
        Some(Mark::Partly) => (Some(Rgb(250, 226, 179)), "partly"),
        Some(Mark::NotYet) => (Some(Rgb(236, 236, 236)), "not yet"),
        Some(Mark::ToRead) => (None, "read the items"),
        None => (None, "—"),
    }
}

/// Draws the lens grid; where it ends.
fn lens(s: &mut Scene, grid: &LensGrid) -> f32 {
    let top = LENS_TOP;
    s.text(
        fit(&grid.title, 19.0, true, WIDTH as f32 - 2.0 * MARGIN),
        (MARGIN, top + 19.0),
        19.0,
        true,
        INK,
        Anchor::Start,
    );
    if grid.columns.is_empty() {
        return top + 30.0;
    }
    let label_width = 330.0;
    let cell = (WIDTH as f32 - 2.0 * MARGIN - label_width) / grid.columns.len() as f32;
    let header = top + 50.0;
    for (c, name) in grid.columns.iter().enumerate() {
        let x = MARGIN + label_width + cell * (c as f32 + 0.5);
        s.text(
            fit(name, 15.0, true, cell - 8.0),
            (x, header),
            15.0,
            true,
            MUTED,
            Anchor::Middle,
        );
    }
    let row_height = 34.0;
    for (r, row) in grid.rows.iter().take(LENS_ROWS).enumerate() {
        let y = header + 12.0 + r as f32 * row_height;
        let middle = y + row_height / 2.0;
        s.text(
            fit(&row.label, 16.0, false, label_width - 12.0),
            (MARGIN, centred_baseline(middle, 16.0)),
            16.0,
            false,
            INK,
            Anchor::Start,
        );
        for (c, mark) in row.cells.iter().enumerate() {
            let x = MARGIN + label_width + cell * c as f32;
            let (fill, words) = mark_style(*mark);
            match fill {
                Some(fill) => s.rect(x + 3.0, y + 3.0, cell - 6.0, row_height - 6.0, fill),
                None if mark.is_some() => s.frame(
                    x + 3.0,
                    y + 3.0,
                    cell - 6.0,
                    row_height - 6.0,
                    Rgb(200, 200, 200),
                ),
                None => {}
            }
            let colour = if mark.is_some() { INK } else { MUTED };
            s.text(
                words,
                (x + cell / 2.0, centred_baseline(middle, 15.0)),
                15.0,
                false,
                colour,
                Anchor::Middle,
            );
        }
    }
    let shown = grid.rows.len().min(LENS_ROWS) as f32;
    let mut y = header + 12.0 + shown * row_height + 26.0;
    if grid.rows.len() > LENS_ROWS {
        s.text(
            format!("and {} more in the packet", grid.rows.len() - LENS_ROWS),
            (MARGIN, y),
            15.0,
            false,
            MUTED,
            Anchor::Start,
        );
        y += 24.0;
    }
    s.text(
        "Evidenced: items at or beyond the expected point from two or more people · partly: one item or one person's · not yet: none",
        (MARGIN, y),
        15.0,
        false,
        MUTED,
        Anchor::Start,
    );
    y + 8.0
}

#[cfg(test)]
mod tests;
