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

fn quarters() -> Vec<QuarterBar> {
    [
        ("2026 Q1", [0, 2, 0, 0, 0, 0], "Team"),
        ("2026 Q2", [1, 2, 1, 0, 0, 0], "Team"),
        ("2026 Q3", [0, 1, 2, 1, 0, 0], "Group"),
        ("2026 Q4", [0, 1, 1, 2, 1, 0], "Organisation"),
    ]
    .map(|(label, counts, reach)| QuarterBar {
        label: label.into(),
        counts: counts.to_vec(),
        reach: reach.into(),
    })
    .to_vec()
}

fn grid() -> LensGrid {
    LensGrid {
        title: "Against Staff engineer".into(),
        columns: vec![
            "Complexity".into(),
            "Sphere of influence".into(),
            "Multiplier effect".into(),
        ],
        rows: vec![
            LensGridRow {
                label: "All evidence".into(),
                cells: vec![
                    Some(Mark::ToRead),
                    Some(Mark::Evidenced),
                    Some(Mark::Partly),
                ],
            },
            LensGridRow {
                label: "Technical skills".into(),
                cells: vec![
                    Some(Mark::ToRead),
                    Some(Mark::Evidenced),
                    Some(Mark::NotYet),
                ],
            },
            LensGridRow {
                label: "Leadership".into(),
                cells: vec![None, Some(Mark::NotYet), Some(Mark::NotYet)],
            },
        ],
    }
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
        quarters: quarters(),
        lens: Some(grid()),
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
        quarters: vec![],
        lens: None,
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
    data.rows[0].label = "Technical skills, craftsmanship, code quality and architecture".into();
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
        let (width, height) = png_size(&png);
        assert!(width == WIDTH && height <= HEIGHT, "{width}x{height}");
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
    zeros.quarters = vec![];
    zeros.lens = None;
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

#[test]
fn letters_keep_their_spacing() {
    // "Kudos received" once rendered as "Ku dos": each glyph must sit at its own bounds.
    let mut s = Scene::new(300, 40, WHITE);
    s.text("Kudos", (10.0, 30.0), 17.0, false, INK, Anchor::Start);
    let png = raster::png(&s).unwrap();
    let pixels = decode(&png);
    let inked: Vec<bool> = (0..300)
        .map(|x| (0..40).any(|y| pixels[(y * 300 + x) * 3] < 200))
        .collect();
    let first = inked.iter().position(|i| *i).unwrap();
    let last = inked.iter().rposition(|i| *i).unwrap();
    let mut widest_gap = 0;
    let mut gap = 0;
    for &ink in &inked[first..=last] {
        gap = if ink { 0 } else { gap + 1 };
        widest_gap = widest_gap.max(gap);
    }
    assert!(widest_gap <= 2, "a gap of {widest_gap} px inside \"Kudos\"");
    let drawn = (last - first) as f32;
    let measured = scene::measure("Kudos", 17.0, false);
    assert!(
        (drawn - measured).abs() < 4.0,
        "drawn {drawn} px, measured {measured} px"
    );
}

fn decode(png: &[u8]) -> Vec<u8> {
    let decoder = ::png::Decoder::new(std::io::Cursor::new(png));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size()];
    reader.next_frame(&mut buf).unwrap();
    buf
}

#[test]
fn the_svg_has_the_same_text_and_colours_as_the_png() {
    let data = typical();
    let svg = svg(&data);
    assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
    for text in [
        "Technical skills",
        "Growth by quarter",
        "2026 Q4",
        "Against Staff engineer",
        "evidenced",
        "partly",
        "not yet",
        "read the items",
    ] {
        assert!(svg.contains(text), "{text} is in the SVG");
    }
    assert!(svg.contains(&PALETTE[1].hex()), "the level colours");
    let mut hostile = typical();
    hostile.title = "<script>alert(1)</script> & co".into();
    let svg = super::svg(&hostile);
    assert!(
        !svg.contains("<script>") && svg.contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; co")
    );
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
        std::fs::write(format!("{dir}/cairn-chart-{name}.svg"), svg(&data)).unwrap();
    }
}
