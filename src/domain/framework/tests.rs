use super::*;

#[test]
fn the_default_builtin_loads_with_its_competencies_and_kinds() {
    let f = Framework::load(DEFAULT_FRAMEWORK).unwrap();
    assert_eq!(f.id(), "matrix-3x3");
    let ids: Vec<_> = f.competencies.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids, ["values", "technical", "leadership"]);
    let kinds: Vec<_> = f.multiplier_kinds.iter().map(|m| m.id.as_str()).collect();
    assert_eq!(
        kinds,
        [
            "mentoring",
            "unblocking",
            "review",
            "docs",
            "tooling",
            "hiring"
        ]
    );
    assert!(f.competencies.iter().all(|c| !c.aliases.is_empty()));
}

#[test]
fn every_builtin_is_valid_complete_and_credits_its_source() {
    for id in builtin_ids() {
        let f = Framework::load(id).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(f.id(), id);
        assert!(!f.about.provenance.is_empty(), "{id}: provenance");
        let sphere = f.dimension(Role::Sphere).expect("a sphere dimension");
        assert!(sphere.scale.iter().all(|s| s.canonical.is_some()), "{id}");
        assert!(f.dimension(Role::Multiplier).is_some(), "{id}");
        assert!(!f.tracks.is_empty(), "{id}");
        for c in &f.competencies {
            assert!(c.prompts.len() >= 2, "{id}: {} needs two prompts", c.id);
            assert!(!c.expectations.is_empty(), "{id}: {}", c.id);
        }
    }
}

#[test]
fn the_builtins_have_the_shapes_the_seeds_describe() {
    let matrix = Framework::load("matrix-3x3").unwrap();
    assert_eq!(matrix.competencies.len(), 3);
    assert_eq!(matrix.dimensions.len(), 3);
    let tracks: Vec<_> = matrix.tracks.iter().map(|t| t.id.as_str()).collect();
    assert_eq!(tracks, ["ic", "manager"]);
    // Every cell: competency × track × level × theme.
    for c in &matrix.competencies {
        for t in &matrix.tracks {
            for l in &t.levels {
                match &c.expectations[&t.id][&l.id] {
                    Expectation::ByDimension(cells) => assert_eq!(cells.len(), 3),
                    Expectation::Text(_) => panic!("{} {} {}", c.id, t.id, l.id),
                }
            }
        }
    }
    let steps = Framework::load("career-steps").unwrap();
    assert_eq!(steps.competencies.len(), 5);
    let sphere = steps.dimension(Role::Sphere).unwrap();
    let canon: Vec<_> = sphere.scale.iter().map(|s| s.canonical.unwrap()).collect();
    assert_eq!(
        canon,
        [
            Canonical::Self_,
            Canonical::Team,
            Canonical::Group,
            Canonical::Org
        ]
    );
    let scope = Framework::load("staff-scope").unwrap();
    assert!(scope.dimensions.iter().any(|d| d.role == Role::Complexity));
    assert!(scope.dimensions.iter().any(|d| d.role == Role::Custom));
}

#[test]
fn an_unknown_id_names_the_builtins() {
    let err = Framework::load("acme").unwrap_err().to_string();
    assert!(
        err.contains("matrix-3x3") && err.contains("career-steps"),
        "{err}"
    );
}

#[test]
fn reports_every_clash_with_its_location() {
    let yaml = r#"
framework: {id: acme, name: Acme, version: "1"}
competencies:
  - {id: delivery, name: Delivery, tags: [ship]}
  - {id: craft, name: "", tags: [craft, Ship]}
multiplier_kinds:
  - {id: delivery, name: Oops}
"#;
    let err = Framework::from_yaml("acme.yaml", yaml)
        .unwrap_err()
        .to_string();
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(
        lines,
        [
            "acme.yaml: competencies[1].name: must not be empty",
            "acme.yaml: competencies[1].tags[1]: '#Ship' is already a tag of competency 'delivery'",
            "acme.yaml: multiplier_kinds[0].id: '#delivery' is already a tag of competency 'delivery'",
        ]
    );
}

#[test]
fn tags_nobody_can_type_and_a_duplicate_dimension_are_reported_once() {
    let yaml = r#"
framework: {id: acme, name: Acme, version: "1"}
dimensions:
  - {id: sphere, name: Sphere, role: sphere, scale: [{id: me, rank: 1, name: Me, canonical: self}]}
  - {id: sphere, name: Again, role: custom, scale: [{id: x, rank: 1, name: X}]}
tracks:
  - {id: ic, name: IC, levels: [{id: a, rank: 1, name: A, expects: {sphere: me}}, {id: b, rank: 1, name: B}]}
competencies:
  - {id: delivery, name: Delivery, tags: ["code quality", 1on1, " #x"]}
"#;
    let err = Framework::from_yaml("acme.yaml", yaml)
        .unwrap_err()
        .to_string();
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(
        lines,
        [
            "acme.yaml: dimensions[1].id: 'sphere' is already the id of dimensions[0]",
            "acme.yaml: tracks[0].levels[1].rank: rank 1 is used twice in track 'ic'",
            "acme.yaml: competencies[0].tags[0]: 'code quality' cannot be typed as a tag: start with a letter, then use letters, digits, '_' or '-'",
            "acme.yaml: competencies[0].tags[1]: '1on1' cannot be typed as a tag: start with a letter, then use letters, digits, '_' or '-'",
            "acme.yaml: competencies[0].tags[2]: write 'x' without the '#'",
        ]
    );
}

#[test]
fn a_broken_file_says_where() {
    let err = Framework::from_yaml("x.yaml", "framework: [")
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with("x.yaml: not a valid framework file"),
        "{err}"
    );
}

#[test]
fn a_new_version_keeps_what_evidence_refers_to() {
    let old = Framework::load("matrix-3x3").unwrap();
    let mut new = old.clone();
    new.about.version = "1.1.0".into();
    assert!(new.problems_against(&old).is_empty());
    new.competencies.retain(|c| c.id != "values");
    let problems = new.problems_against(&old);
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(problems[0].starts_with("competencies: 'values' was in version 1.0.0 and is gone"));
    // Kept as deprecated, it is fine.
    let mut kept = old.clone();
    kept.about.version = "1.1.0".into();
    kept.competencies[0].deprecated = true;
    kept.competencies[0].replaced_by = Some("leadership".into());
    assert!(kept.problems().is_empty(), "{:?}", kept.problems());
    assert!(kept.problems_against(&old).is_empty());
    // Changed but not renumbered.
    kept.about.version = "1.0.0".into();
    assert!(kept.problems_against(&old)[0].starts_with("framework.version"));
}
