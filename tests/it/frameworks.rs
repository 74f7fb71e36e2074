//! Career framework files, end to end: the built-ins, a corpus of broken files (one mistake
//! each, with the exact located line the validator must print), the shipped JSON Schema (which
//! must not drift from the Rust types, and whose verdict on the corpus is written down), a YAML
//! round-trip property, and the versioning rule (nothing evidence refers to may disappear).
//!
//! Corpus files live in `tests/fixtures/frameworks/broken/`. Each starts from
//! `tests/fixtures/frameworks/acme.yaml` with exactly one mistake and a header:
//!
//! ```text
//! # expect: <the located line, without the "FILE: " prefix; for a parse error, the start of
//! #          serde's message after "not a valid framework file: ">
//! # schema: reject | accept   (whether the JSON Schema can see the mistake)
//! ```

use cairn::domain::framework::{
    builtin_ids, json_schema, About, Canonical, Competency, Dimension, Expectation, Framework,
    FrameworkError, Level, MultiplierKind, Role, ScalePoint, Track,
};
use proptest::prelude::*;
use proptest::sample::Index;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_cairn");
const ROOT: &str = env!("CARGO_MANIFEST_DIR");
const SCHEMA: &str = "manifests/frameworks/framework.schema.json";
const BASE: &str = "tests/fixtures/frameworks/acme.yaml";
const BROKEN: &str = "tests/fixtures/frameworks/broken";

/// The binary, run from the package root so relative paths (and the messages naming them) match.
fn cairn(args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .current_dir(ROOT)
        .env_clear()
        .output()
        .expect("the cairn binary runs")
}

fn read(relative: &str) -> String {
    std::fs::read_to_string(Path::new(ROOT).join(relative))
        .unwrap_or_else(|e| panic!("{relative}: {e}"))
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn builtin_path(id: &str) -> String {
    format!("manifests/frameworks/{id}.yaml")
}

// ---------------------------------------------------------------------------------------------
// The corpus of broken files

struct Broken {
    /// Relative to the package root: the source name in messages.
    path: String,
    stem: String,
    text: String,
    expect: String,
    schema_rejects: bool,
}

fn corpus() -> Vec<Broken> {
    let mut files: Vec<_> = std::fs::read_dir(Path::new(ROOT).join(BROKEN))
        .expect("the broken corpus directory")
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|file| {
            let name = file.file_name().unwrap().to_str().unwrap().to_owned();
            assert!(
                name.ends_with(".yaml"),
                "{BROKEN}/{name}: only .yaml files belong here"
            );
            let path = format!("{BROKEN}/{name}");
            let text = read(&path);
            let header = |key: &str| -> String {
                let values: Vec<&str> = text
                    .lines()
                    .filter_map(|l| l.strip_prefix(&format!("# {key}: ")))
                    .collect();
                assert_eq!(values.len(), 1, "{path}: needs exactly one `# {key}:` line");
                values[0].trim().to_owned()
            };
            let expect = header("expect");
            assert!(!expect.is_empty(), "{path}: empty `# expect:`");
            let schema_rejects = match header("schema").as_str() {
                "reject" => true,
                "accept" => false,
                other => panic!("{path}: `# schema: {other}` must be `reject` or `accept`"),
            };
            Broken {
                stem: name.trim_end_matches(".yaml").to_owned(),
                path,
                text,
                expect,
                schema_rejects,
            }
        })
        .collect()
}

/// The line the validator prints for a broken file, whole (a located problem) or as a prefix
/// (a parse error, whose tail lists what serde expected).
enum Verdict {
    Exactly(String),
    StartsWith(String),
}

impl Verdict {
    /// What the validator must print for `b`, or why `b` is not broken the way a corpus file is.
    fn of(b: &Broken) -> Result<Verdict, String> {
        match Framework::from_yaml(&b.path, &b.text) {
            Ok(_) => Err(format!(
                "{}: accepted, but it is meant to be broken",
                b.path
            )),
            Err(FrameworkError::Invalid { .. }) => {
                Ok(Verdict::Exactly(format!("{}: {}", b.path, b.expect)))
            }
            Err(FrameworkError::Parse { .. }) => Ok(Verdict::StartsWith(format!(
                "{}: not a valid framework file: {}",
                b.path, b.expect
            ))),
            Err(other) => Err(format!("{}: unexpected kind of error: {other}", b.path)),
        }
    }

    fn matches(&self, message: &str) -> bool {
        match self {
            Verdict::Exactly(line) => message == line,
            Verdict::StartsWith(line) => {
                message.starts_with(line.as_str()) && !message.contains('\n')
            }
        }
    }

    fn line(&self) -> &str {
        match self {
            Verdict::Exactly(line) | Verdict::StartsWith(line) => line,
        }
    }
}

#[test]
fn the_corpus_covers_every_kind_of_mistake() {
    let corpus = corpus();
    let stems: Vec<&str> = corpus.iter().map(|b| b.stem.as_str()).collect();
    let required = [
        "duplicate_competency_id",
        "duplicate_tag_across_competencies",
        "alias_clashes_with_multiplier_kind_tag",
        "tag_with_hash",
        "expects_unknown_dimension",
        "expects_unknown_scale_point",
        "leans_on_unknown_dimension",
        "expectations_unknown_track",
        "expectations_unknown_level",
        "expectation_unknown_dimension",
        "sphere_without_canonical",
        "canonical_out_of_order",
        "canonical_on_non_sphere",
        "two_sphere_dimensions",
        "duplicate_scale_rank",
        "replaced_by_without_deprecated",
        "replaced_by_unknown_competency",
        "empty_competency_name",
        "invalid_id_upper_case",
        "no_competencies",
        "unknown_field_typo",
        "wrong_role",
        "duplicate_level_id",
        "empty_version",
    ];
    let missing: Vec<&str> = required
        .iter()
        .copied()
        .filter(|r| !stems.contains(r))
        .collect();
    assert!(missing.is_empty(), "corpus files missing: {missing:?}");
    assert!(corpus.len() >= 18, "{} corpus files", corpus.len());
    // Both verdicts are represented, so the schema test proves something each way.
    assert!(corpus.iter().any(|b| b.schema_rejects));
    assert!(corpus.iter().any(|b| !b.schema_rejects));
    // No two files make the same complaint: one kind of mistake per file.
    let mut expects: Vec<&str> = corpus.iter().map(|b| b.expect.as_str()).collect();
    expects.sort_unstable();
    expects.dedup();
    assert_eq!(
        expects.len(),
        corpus.len(),
        "two corpus files expect the same line"
    );
}

#[test]
fn the_file_the_corpus_starts_from_is_valid() {
    let text = read(BASE);
    let f = Framework::from_yaml(BASE, &text).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(f.id(), "acme");
    // Not a built-in id, so `framework check` does not compare it with a previous version.
    assert!(!builtin_ids().contains(&f.id()));
    let out = cairn(&["framework", "check", BASE]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stdout(&out), format!("{BASE}: valid ({})\n", f.counts()));
    let errors = schema_errors(&shipped_schema(), &yaml_to_json(&text));
    assert!(errors.is_empty(), "{BASE}: {errors:?}");
}

#[test]
fn every_broken_file_is_refused_with_its_located_line() {
    let mut failures = Vec::new();
    for b in corpus() {
        let verdict = match Verdict::of(&b) {
            Ok(v) => v,
            Err(e) => {
                failures.push(e);
                continue;
            }
        };
        let message = Framework::from_yaml(&b.path, &b.text)
            .unwrap_err()
            .to_string();
        if !verdict.matches(&message) {
            failures.push(format!(
                "{}\n  expected: {}\n  got:      {}",
                b.path,
                verdict.line(),
                message.replace('\n', "\n            ")
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn framework_check_exits_1_and_prints_the_located_line_for_every_broken_file() {
    let mut failures = Vec::new();
    for b in corpus() {
        let verdict = match Verdict::of(&b) {
            Ok(v) => v,
            Err(e) => {
                failures.push(e);
                continue;
            }
        };
        let out = cairn(&["framework", "check", &b.path]);
        let err = stderr(&out);
        let ok = out.status.code() == Some(1)
            && stdout(&out).is_empty()
            && err.ends_with('\n')
            && verdict.matches(err.trim_end_matches('\n'));
        if !ok {
            failures.push(format!(
                "{}: exit {:?}\n  expected on stderr: {}\n  got:                {}",
                b.path,
                out.status.code(),
                verdict.line(),
                err.trim_end().replace('\n', "\n                      ")
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

// ---------------------------------------------------------------------------------------------
// Built-ins

#[test]
fn every_builtin_loads_and_framework_check_accepts_its_file() {
    assert_eq!(builtin_ids(), ["matrix-3x3", "career-steps", "staff-scope"]);
    for id in builtin_ids() {
        let f = Framework::load(id).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(f.id(), id);
        assert!(f.problems().is_empty(), "{id}: {:?}", f.problems());
        let path = builtin_path(id);
        let from_file = Framework::from_file(&path).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(from_file, f, "{path} differs from the compiled-in {id}");
        let out = cairn(&["framework", "check", &path]);
        assert_eq!(out.status.code(), Some(0), "{path}: {}", stderr(&out));
        assert_eq!(stdout(&out), format!("{path}: valid ({})\n", f.counts()));
        assert_eq!(stderr(&out), "");
    }
}

#[test]
fn every_framework_file_shipped_is_a_builtin() {
    let mut shipped: Vec<String> = std::fs::read_dir(Path::new(ROOT).join("manifests/frameworks"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter_map(|n| n.strip_suffix(".yaml").map(str::to_owned))
        .collect();
    shipped.sort();
    let mut builtins = builtin_ids();
    builtins.sort_unstable();
    assert_eq!(shipped, builtins);
}

// ---------------------------------------------------------------------------------------------
// The JSON Schema

fn shipped_schema() -> jsonschema::Validator {
    let schema: serde_json::Value =
        serde_json::from_str(&read(SCHEMA)).expect("the shipped schema is JSON");
    jsonschema::validator_for(&schema).expect("the shipped schema compiles")
}

fn yaml_to_json(yaml: &str) -> serde_json::Value {
    serde_yaml_ng::from_str(yaml).expect("the file is YAML")
}

/// (instance path, message) for every schema violation.
fn schema_errors(
    schema: &jsonschema::Validator,
    instance: &serde_json::Value,
) -> Vec<(String, String)> {
    schema
        .iter_errors(instance)
        .map(|e| (e.instance_path().to_string(), e.to_string()))
        .collect()
}

/// "competencies[1].tags[0]" → "/competencies/1/tags/0".
fn pointer(location: &str) -> String {
    location
        .replace('[', ".")
        .replace(']', "")
        .split('.')
        .map(|segment| format!("/{segment}"))
        .collect()
}

#[test]
fn the_shipped_schema_is_the_one_generated_from_the_types() {
    let shipped = read(SCHEMA);
    let generated = json_schema();
    let first_difference = shipped
        .lines()
        .zip(generated.lines())
        .enumerate()
        .find(|(_, (a, b))| a != b)
        .map(|(i, (a, b))| format!("line {}: shipped `{a}`, generated `{b}`", i + 1))
        .unwrap_or_else(|| "one is a prefix of the other".to_owned());
    assert!(
        shipped == generated,
        "{SCHEMA} is stale ({first_difference}): run `cargo run -- framework schema > {SCHEMA}`"
    );
    let out = cairn(&["framework", "schema"]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        stdout(&out),
        generated,
        "`cairn framework schema` prints json_schema()"
    );
}

#[test]
fn the_schema_accepts_every_builtin() {
    let schema = shipped_schema();
    for id in builtin_ids() {
        let path = builtin_path(id);
        let errors = schema_errors(&schema, &yaml_to_json(&read(&path)));
        assert!(errors.is_empty(), "{path}: {errors:?}");
    }
}

/// The `# schema:` marks are honest: the schema rejects exactly the files marked `reject`, and
/// it points at the same place the validator does.
#[test]
fn the_schema_rejects_exactly_the_corpus_files_marked_reject() {
    let schema = shipped_schema();
    let mut failures = Vec::new();
    for b in corpus() {
        let errors = schema_errors(&schema, &yaml_to_json(&b.text));
        let location = b.expect.split(": ").next().unwrap();
        let at = pointer(location);
        if b.schema_rejects && !errors.iter().any(|(path, _)| *path == at) {
            failures.push(format!(
                "{}: marked reject, expected a schema error at {at}; got {errors:?}",
                b.path
            ));
        }
        if !b.schema_rejects && !errors.is_empty() {
            failures.push(format!(
                "{}: marked accept, but the schema rejects it: {errors:?}",
                b.path
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

// ---------------------------------------------------------------------------------------------
// Round trip: any valid framework survives YAML unchanged

/// Deprecated (with a replacement picked among siblings, or none).
type Retire = Option<Option<Index>>;

#[derive(Debug, Clone)]
struct PointSeed {
    word: String,
    name: String,
    description: String,
    canonical: Option<Index>,
    retire: Retire,
}

#[derive(Debug, Clone)]
struct DimensionSeed {
    word: String,
    name: String,
    description: String,
    role: Index,
    points: Vec<PointSeed>,
    retire: Retire,
}

#[derive(Debug, Clone)]
struct LevelSeed {
    word: String,
    name: String,
    summary: String,
    /// Per dimension (by position): the expected point, if any.
    expects: Vec<Option<Index>>,
    retire: Retire,
}

#[derive(Debug, Clone)]
struct TrackSeed {
    word: String,
    name: String,
    description: String,
    levels: Vec<LevelSeed>,
    retire: Retire,
}

#[derive(Debug, Clone)]
enum ExpectationSeed {
    Text(String),
    /// Per dimension (by position).
    ByDimension(Vec<Option<String>>),
}

#[derive(Debug, Clone)]
struct CompetencySeed {
    word: String,
    name: String,
    description: String,
    emoji: Option<String>,
    tag_words: Vec<String>,
    alias_words: Vec<String>,
    leans_on: Vec<Index>,
    prompts: Vec<String>,
    /// Per track, per level (by position).
    expectations: Vec<Vec<Option<ExpectationSeed>>>,
    /// Deprecated, replaced by the first competency (which never is) or by nothing.
    retire: Option<bool>,
}

#[derive(Debug, Clone)]
struct KindSeed {
    word: String,
    name: String,
    description: String,
    tag_words: Vec<String>,
    retire: Option<bool>,
}

#[derive(Debug, Clone)]
struct Seed {
    id_word: String,
    name: String,
    version: String,
    description: String,
    provenance: String,
    sphere: Index,
    dimensions: Vec<DimensionSeed>,
    tracks: Vec<TrackSeed>,
    competencies: Vec<CompetencySeed>,
    kinds: Vec<KindSeed>,
}

const MAX_DIMENSIONS: usize = 3;
const MAX_TRACKS: usize = 2;
const MAX_LEVELS: usize = 3;

/// Ids: lower-case, no separators (uniqueness comes from suffixes).
fn word() -> impl Strategy<Value = String> {
    "[a-z][a-z0-9]{0,5}"
}

/// Tag words begin with a letter, as typed hashtags do; any case.
fn tag_word() -> impl Strategy<Value = String> {
    "[a-zA-Z][a-zA-Z0-9]{0,5}"
}

/// Non-blank human text, including strings YAML would read as something else unless quoted.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => "[A-Za-z0-9é][A-Za-z0-9 ,.:#'\"!?()é…-]{0,24}",
        1 => prop::sample::select(vec![
            "yes", "No", "null", "~", "true", "1.0", "0x1F", "1e3", "- dash", ": colon",
            "#hash", "[x]", "{y}", "'q'", "two\nlines", "trailing space ", "@at", "* star",
        ])
        .prop_map(str::to_owned),
    ]
}

fn maybe_text() -> impl Strategy<Value = String> {
    prop::option::of(text()).prop_map(Option::unwrap_or_default)
}

fn retire() -> impl Strategy<Value = Retire> {
    prop::option::weighted(0.2, prop::option::of(any::<Index>()))
}

fn point_seed() -> impl Strategy<Value = PointSeed> {
    (
        word(),
        text(),
        maybe_text(),
        prop::option::of(any::<Index>()),
        retire(),
    )
        .prop_map(|(word, name, description, canonical, retire)| PointSeed {
            word,
            name,
            description,
            canonical,
            retire,
        })
}

fn dimension_seed() -> impl Strategy<Value = DimensionSeed> {
    (
        word(),
        text(),
        maybe_text(),
        any::<Index>(),
        prop::collection::vec(point_seed(), 1..=4),
        retire(),
    )
        .prop_map(
            |(word, name, description, role, points, retire)| DimensionSeed {
                word,
                name,
                description,
                role,
                points,
                retire,
            },
        )
}

fn level_seed() -> impl Strategy<Value = LevelSeed> {
    (
        word(),
        text(),
        maybe_text(),
        prop::collection::vec(prop::option::of(any::<Index>()), MAX_DIMENSIONS),
        retire(),
    )
        .prop_map(|(word, name, summary, expects, retire)| LevelSeed {
            word,
            name,
            summary,
            expects,
            retire,
        })
}

fn track_seed() -> impl Strategy<Value = TrackSeed> {
    (
        word(),
        text(),
        maybe_text(),
        prop::collection::vec(level_seed(), 1..=MAX_LEVELS),
        retire(),
    )
        .prop_map(|(word, name, description, levels, retire)| TrackSeed {
            word,
            name,
            description,
            levels,
            retire,
        })
}

fn expectation_seed() -> impl Strategy<Value = ExpectationSeed> {
    prop_oneof![
        text().prop_map(ExpectationSeed::Text),
        prop::collection::vec(prop::option::of(text()), MAX_DIMENSIONS)
            .prop_map(ExpectationSeed::ByDimension),
    ]
}

fn competency_seed() -> impl Strategy<Value = CompetencySeed> {
    (
        (word(), text(), maybe_text(), prop::option::of(word())),
        (
            prop::collection::vec(tag_word(), 0..=2),
            prop::collection::vec(tag_word(), 0..=2),
            prop::collection::vec(any::<Index>(), 0..=2),
            prop::collection::vec(text(), 0..=2),
        ),
        prop::collection::vec(
            prop::collection::vec(prop::option::of(expectation_seed()), MAX_LEVELS),
            MAX_TRACKS,
        ),
        prop::option::weighted(0.2, any::<bool>()),
    )
        .prop_map(
            |(
                (word, name, description, emoji),
                (tag_words, alias_words, leans_on, prompts),
                expectations,
                retire,
            )| {
                CompetencySeed {
                    word,
                    name,
                    description,
                    emoji: emoji.map(|e| format!(":{e}:")),
                    tag_words,
                    alias_words,
                    leans_on,
                    prompts,
                    expectations,
                    retire,
                }
            },
        )
}

fn kind_seed() -> impl Strategy<Value = KindSeed> {
    (
        word(),
        text(),
        maybe_text(),
        prop::collection::vec(tag_word(), 0..=2),
        prop::option::weighted(0.2, any::<bool>()),
    )
        .prop_map(|(word, name, description, tag_words, retire)| KindSeed {
            word,
            name,
            description,
            tag_words,
            retire,
        })
}

fn seed() -> impl Strategy<Value = Seed> {
    (
        (
            word(),
            text(),
            prop_oneof![3 => "[0-9]{1,2}(\\.[0-9]{1,2}){0,2}", 1 => Just("2.0.0-rc1".to_owned())],
            maybe_text(),
            maybe_text(),
        ),
        any::<Index>(),
        prop::collection::vec(dimension_seed(), 1..=MAX_DIMENSIONS),
        prop::collection::vec(track_seed(), 0..=MAX_TRACKS),
        prop::collection::vec(competency_seed(), 1..=3),
        prop::collection::vec(kind_seed(), 0..=2),
    )
        .prop_map(
            |(
                (id_word, name, version, description, provenance),
                sphere,
                dimensions,
                tracks,
                competencies,
                kinds,
            )| Seed {
                id_word,
                name,
                version,
                description,
                provenance,
                sphere,
                dimensions,
                tracks,
                competencies,
                kinds,
            },
        )
}

/// `deprecated` and `replaced_by` for entity `i` of `ids`: a replacement is another sibling.
fn retired(retire: &Retire, i: usize, ids: &[String]) -> (bool, Option<String>) {
    match retire {
        None => (false, None),
        Some(None) => (true, None),
        Some(Some(k)) => {
            let k = k.index(ids.len());
            (true, (k != i).then(|| ids[k].clone()))
        }
    }
}

/// A valid framework from a seed: ids unique by suffix, tags unique by construction, every
/// reference pointing at something that exists.
fn build(seed: Seed) -> Framework {
    let canonical = [
        Canonical::Self_,
        Canonical::Team,
        Canonical::Group,
        Canonical::Org,
        Canonical::External,
    ];

    let sphere = seed.sphere.index(seed.dimensions.len());
    let mut free_roles = vec![Role::Multiplier, Role::Complexity];
    let dimension_ids: Vec<String> = (0..seed.dimensions.len())
        .map(|i| format!("{}-d{i}", seed.dimensions[i].word))
        .collect();
    let dimensions: Vec<Dimension> = seed
        .dimensions
        .iter()
        .enumerate()
        .map(|(i, d)| {
            let role = if i == sphere {
                Role::Sphere
            } else {
                let pick = d.role.index(free_roles.len() + 1);
                if pick < free_roles.len() {
                    free_roles.remove(pick)
                } else {
                    Role::Custom
                }
            };
            let point_ids: Vec<String> = (0..d.points.len())
                .map(|j| format!("{}-p{j}", d.points[j].word))
                .collect();
            // On the sphere: canonical levels in order down the scale, at least one.
            let mut levels: Vec<usize> = d
                .points
                .iter()
                .filter_map(|p| p.canonical.map(|c| c.index(canonical.len())))
                .collect();
            levels.sort_unstable();
            let mut levels = levels.into_iter();
            let scale = d
                .points
                .iter()
                .enumerate()
                .map(|(j, p)| {
                    let mut point_canonical = None;
                    if role == Role::Sphere {
                        if p.canonical.is_some() {
                            point_canonical = levels.next().map(|l| canonical[l]);
                        } else if j == 0 && d.points.iter().all(|p| p.canonical.is_none()) {
                            point_canonical = Some(Canonical::Self_);
                        }
                    }
                    let (deprecated, replaced_by) = retired(&p.retire, j, &point_ids);
                    ScalePoint {
                        id: point_ids[j].clone(),
                        rank: 2 * j as u32 + 1,
                        name: p.name.clone(),
                        description: p.description.clone(),
                        canonical: point_canonical,
                        deprecated,
                        replaced_by,
                    }
                })
                .collect();
            let (deprecated, replaced_by) = retired(&d.retire, i, &dimension_ids);
            Dimension {
                id: dimension_ids[i].clone(),
                name: d.name.clone(),
                role,
                description: d.description.clone(),
                scale,
                deprecated,
                replaced_by,
            }
        })
        .collect();

    let track_ids: Vec<String> = (0..seed.tracks.len())
        .map(|i| format!("{}-t{i}", seed.tracks[i].word))
        .collect();
    let tracks: Vec<Track> = seed
        .tracks
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let level_ids: Vec<String> = (0..t.levels.len())
                .map(|j| format!("{}-l{j}", t.levels[j].word))
                .collect();
            let levels = t
                .levels
                .iter()
                .enumerate()
                .map(|(j, l)| {
                    let expects = dimensions
                        .iter()
                        .zip(&l.expects)
                        .filter_map(|(d, pick)| {
                            pick.map(|p| (d.id.clone(), d.scale[p.index(d.scale.len())].id.clone()))
                        })
                        .collect();
                    let (deprecated, replaced_by) = retired(&l.retire, j, &level_ids);
                    Level {
                        id: level_ids[j].clone(),
                        rank: j as u32 + 1,
                        name: l.name.clone(),
                        summary: l.summary.clone(),
                        expects,
                        deprecated,
                        replaced_by,
                    }
                })
                .collect();
            let (deprecated, replaced_by) = retired(&t.retire, i, &track_ids);
            Track {
                id: track_ids[i].clone(),
                name: t.name.clone(),
                description: t.description.clone(),
                levels,
                deprecated,
                replaced_by,
            }
        })
        .collect();

    // Tags: `{word}_{kind letter}{owner}_{n}` never meet one another nor an id `{word}-c{i}`
    // (which normalises to `{word}_c{i}`), whatever the words and their case.
    let competency_ids: Vec<String> = (0..seed.competencies.len())
        .map(|i| format!("{}-c{i}", seed.competencies[i].word))
        .collect();
    let competencies = seed
        .competencies
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let mut expectations = BTreeMap::new();
            for (track, per_level) in tracks.iter().zip(&c.expectations) {
                let mut levels = BTreeMap::new();
                for (level, e) in track.levels.iter().zip(per_level) {
                    let Some(e) = e else { continue };
                    let e = match e {
                        ExpectationSeed::Text(t) => Expectation::Text(t.clone()),
                        ExpectationSeed::ByDimension(texts) => Expectation::ByDimension(
                            dimensions
                                .iter()
                                .zip(texts)
                                .filter_map(|(d, t)| t.clone().map(|t| (d.id.clone(), t)))
                                .collect(),
                        ),
                    };
                    levels.insert(level.id.clone(), e);
                }
                expectations.insert(track.id.clone(), levels);
            }
            let mut leans_on: Vec<String> = c
                .leans_on
                .iter()
                .map(|k| dimension_ids[k.index(dimension_ids.len())].clone())
                .collect();
            leans_on.dedup();
            let (deprecated, replaced_by) = match c.retire {
                Some(replace) if i > 0 => (true, replace.then(|| competency_ids[0].clone())),
                _ => (false, None),
            };
            Competency {
                id: competency_ids[i].clone(),
                name: c.name.clone(),
                description: c.description.clone(),
                emoji: c.emoji.clone(),
                tags: c
                    .tag_words
                    .iter()
                    .enumerate()
                    .map(|(n, w)| format!("{w}_t{i}_{n}"))
                    .collect(),
                aliases: c
                    .alias_words
                    .iter()
                    .enumerate()
                    .map(|(n, w)| format!("{w}_a{i}_{n}"))
                    .collect(),
                leans_on,
                prompts: c.prompts.clone(),
                expectations,
                deprecated,
                replaced_by,
            }
        })
        .collect();

    let kind_ids: Vec<String> = (0..seed.kinds.len())
        .map(|i| format!("{}-k{i}", seed.kinds[i].word))
        .collect();
    let multiplier_kinds = seed
        .kinds
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let (deprecated, replaced_by) = match m.retire {
                Some(replace) if i > 0 => (true, replace.then(|| kind_ids[0].clone())),
                _ => (false, None),
            };
            MultiplierKind {
                id: kind_ids[i].clone(),
                name: m.name.clone(),
                description: m.description.clone(),
                tags: m
                    .tag_words
                    .iter()
                    .enumerate()
                    .map(|(n, w)| format!("{w}_m{i}_{n}"))
                    .collect(),
                deprecated,
                replaced_by,
            }
        })
        .collect();

    Framework {
        about: About {
            id: seed.id_word,
            name: seed.name,
            version: seed.version,
            description: seed.description,
            provenance: seed.provenance,
        },
        dimensions,
        tracks,
        competencies,
        multiplier_kinds,
    }
}

#[test]
fn any_valid_framework_round_trips_through_yaml_and_satisfies_the_schema() {
    let schema = shipped_schema();
    let mut runner = TestRunner::new(Config {
        cases: 64,
        failure_persistence: None,
        ..Config::default()
    });
    let result = runner.run(&seed().prop_map(build), |f| {
        let problems = f.problems();
        prop_assert!(
            problems.is_empty(),
            "generated an invalid framework: {problems:?}\n{}",
            f.to_yaml()
        );
        let yaml = f.to_yaml();
        let back = Framework::from_yaml("x", &yaml)
            .map_err(|e| TestCaseError::fail(format!("{e}\n---\n{yaml}")))?;
        prop_assert_eq!(&back, &f, "changed by a round trip through\n{}", yaml);
        prop_assert_eq!(back.to_yaml(), yaml.clone(), "YAML not stable");
        let errors = schema_errors(&schema, &yaml_to_json(&yaml));
        prop_assert!(
            errors.is_empty(),
            "the schema refuses a valid framework: {errors:?}\n{yaml}"
        );
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
}

#[test]
fn the_generator_reaches_the_interesting_shapes() {
    // A round-trip property is only as good as what it generates: check a sample covers both
    // kinds of expectation, retired entities, several dimensions and tricky strings.
    let mut runner = TestRunner::deterministic();
    let strategy = seed().prop_map(build);
    let (mut text, mut by_dimension, mut retired, mut multi_dim, mut no_tracks) = (0, 0, 0, 0, 0);
    for _ in 0..200 {
        let f = strategy.new_tree(&mut runner).unwrap().current();
        for c in &f.competencies {
            for e in c.expectations.values().flat_map(|l| l.values()) {
                match e {
                    Expectation::Text(_) => text += 1,
                    Expectation::ByDimension(_) => by_dimension += 1,
                }
            }
            retired += usize::from(c.deprecated);
        }
        multi_dim += usize::from(f.dimensions.len() > 1);
        no_tracks += usize::from(f.tracks.is_empty());
    }
    for (what, n) in [
        ("text expectations", text),
        ("per-dimension expectations", by_dimension),
        ("deprecated competencies", retired),
        ("several dimensions", multi_dim),
        ("no tracks", no_tracks),
    ] {
        assert!(n > 0, "the generator never makes {what}");
    }
}

// ---------------------------------------------------------------------------------------------
// Versioning: nothing evidence refers to may disappear

fn write(dir: &tempfile::TempDir, name: &str, f: &Framework) -> String {
    let path = dir.path().join(name);
    std::fs::write(&path, f.to_yaml()).unwrap();
    path.to_str().unwrap().to_owned()
}

#[test]
fn a_builtin_copy_that_drops_a_competency_is_refused_until_it_keeps_it_deprecated() {
    let dir = tempfile::tempdir().unwrap();
    let builtin = Framework::load("matrix-3x3").unwrap();
    let removed = builtin.competencies[0].id.clone();

    // Dropped, even with a new version number: refused.
    let mut dropped = builtin.clone();
    dropped.about.version = "1.1.0".into();
    dropped.competencies.remove(0);
    assert!(dropped.problems().is_empty(), "{:?}", dropped.problems());
    let path = write(&dir, "dropped.yaml", &dropped);
    let out = cairn(&["framework", "check", &path]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    assert_eq!(
        stderr(&out),
        format!(
            "{path}: competencies: '{removed}' was in version {} and is gone; evidence recorded with it must still resolve: keep it with `deprecated: true` (and `replaced_by`)\n",
            builtin.about.version
        )
    );
    assert_eq!(stdout(&out), "");

    // Kept, deprecated, under a new version: accepted.
    let mut kept = builtin.clone();
    kept.about.version = "1.1.0".into();
    kept.competencies[0].deprecated = true;
    let path = write(&dir, "kept.yaml", &kept);
    let out = cairn(&["framework", "check", &path]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stdout(&out), format!("{path}: valid ({})\n", kept.counts()));

    // Kept, deprecated, but under the old number: refused, since evidence stores the version.
    kept.about.version = builtin.about.version.clone();
    let path = write(&dir, "same-version.yaml", &kept);
    let out = cairn(&["framework", "check", &path]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).starts_with(&format!(
            "{path}: framework.version: the file differs from version {} but keeps its number",
            builtin.about.version
        )),
        "{}",
        stderr(&out)
    );

    // An unchanged copy is the same version: accepted.
    let path = write(&dir, "copy.yaml", &builtin);
    let out = cairn(&["framework", "check", &path]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

#[test]
fn previous_names_the_version_a_file_replaces() {
    let dir = tempfile::tempdir().unwrap();
    let base = Framework::from_file(&format!("{ROOT}/{BASE}")).unwrap();
    let mut next = base.clone();
    next.about.version = "1.1.0".into();
    next.multiplier_kinds.clear();
    let path = write(&dir, "acme-1.1.yaml", &next);

    // Without --previous there is nothing to compare with: a custom id is not a built-in.
    let out = cairn(&["framework", "check", &path]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));

    let out = cairn(&["framework", "check", &path, "--previous", BASE]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr(&out),
        format!("{path}: multiplier_kinds: 'mentoring' was in version 1.0.0 and is gone; keep it with `deprecated: true`\n")
    );

    next.multiplier_kinds = base.multiplier_kinds.clone();
    next.multiplier_kinds[0].deprecated = true;
    let path = write(&dir, "acme-1.1.yaml", &next);
    let out = cairn(&["framework", "check", &path, "--previous", BASE]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}
