use super::*;
use crate::domain::growth::Source;
use chrono::{TimeZone, Utc};
use std::collections::HashMap;

fn framework() -> Framework {
    Framework::load("matrix-3x3").unwrap()
}

fn kudos(id: u32, giver: &str, sphere: Sphere, tags: &[&str]) -> Item {
    let at = Utc.with_ymd_and_hms(2026, 9, 1, 12, 0, 0).unwrap();
    Item::sample_kudos(id, "U0ANA", giver, sphere, tags, at)
}

fn senior() -> Rung {
    Rung {
        track: Some("ic".into()),
        level: Some("senior".into()),
    }
}

fn row<'a>(lens: &'a Lens, competency: Option<&str>) -> &'a Row {
    lens.rows
        .iter()
        .find(|r| r.competency.as_deref() == competency)
        .unwrap_or_else(|| panic!("no row {competency:?} in {lens:#?}"))
}

fn status(checks: &[Check], dimension: &str) -> Status {
    checks
        .iter()
        .find(|c| c.dimension == dimension)
        .unwrap_or_else(|| panic!("no {dimension} check in {checks:#?}"))
        .status
}

/// A senior with org-level technical evidence from two people, values from one, no leadership.
fn ana() -> Vec<Item> {
    vec![
        kudos(1, "U0BEN", Sphere::Org, &["technical"]),
        kudos(2, "U0CAT", Sphere::Org, &["technical"]),
        kudos(3, "U0DEV", Sphere::Org, &["values"]),
    ]
}

#[test]
fn a_senior_is_read_against_senior_and_staff() {
    let lens = lens(&framework(), &senior(), &ana(), &HashMap::new(), "Ana");
    assert_eq!(lens.level.as_ref().unwrap().id, "senior");
    assert_eq!(lens.next.as_ref().unwrap().id, "staff");
    assert!(!lens.assumed && lens.note.is_none());
    // Staff expects the organisation: technical from two people, values from one, leadership none.
    assert_eq!(
        status(&row(&lens, Some("technical")).at_next, "sphere"),
        Status::Evidenced
    );
    assert_eq!(
        status(&row(&lens, Some("values")).at_next, "sphere"),
        Status::Partly
    );
    assert_eq!(
        status(&row(&lens, Some("leadership")).at_next, "sphere"),
        Status::NotYet
    );
    // The supporting items are named, with the framework's own expectation text.
    let technical = row(&lens, Some("technical"))
        .at_next
        .iter()
        .find(|c| c.dimension == "sphere")
        .unwrap();
    assert_eq!(technical.items, ["kudos:1", "kudos:2"]);
    assert_eq!(technical.people, 2);
    assert_eq!(technical.expected, "org");
    assert!(!technical.text.is_empty());
    // All evidence: three items from three people at org level.
    let all = row(&lens, None);
    assert_eq!(all.name, "All evidence");
    assert_eq!(status(&all.at_next, "sphere"), Status::Evidenced);
    // Staff's multiplier (several teams) from values, which leans on the multiplier: one item.
    assert_eq!(status(&all.at_next, "multiplier"), Status::Partly);
    // Complexity cannot be inferred: the technical items are there to read.
    let complexity = row(&lens, Some("technical"))
        .at_next
        .iter()
        .find(|c| c.dimension == "complexity")
        .unwrap();
    assert_eq!(complexity.status, Status::NotInferred);
    assert_eq!(complexity.items, ["kudos:1", "kudos:2"]);
    assert_eq!(status(&all.at_next, "complexity"), Status::NotInferred);
    // Senior's own sphere (team) is met as well by the org-level items.
    assert_eq!(
        status(&row(&lens, Some("technical")).at_level, "sphere"),
        Status::Evidenced
    );
    assert_eq!(
        lens.competencies_at_next(),
        (0, 3),
        "technical's multiplier is not yet evidenced"
    );
    assert_eq!(
        one_line(&lens),
        "Against Staff engineer: sphere of influence evidenced, multiplier effect partly evidenced; 0 of 3 competencies evidenced throughout"
    );
}

#[test]
fn two_items_from_one_person_are_only_partly_evidence() {
    let items = [
        kudos(1, "U0BEN", Sphere::Org, &["technical"]),
        kudos(2, "U0BEN", Sphere::Org, &["technical"]),
    ];
    let lens = lens(&framework(), &senior(), &items, &HashMap::new(), "Ana");
    assert_eq!(
        status(&row(&lens, Some("technical")).at_next, "sphere"),
        Status::Partly
    );
}

#[test]
fn each_multiplier_point_asks_its_own_reach() {
    let f = framework();
    let dimension = f.dimension(Role::Multiplier).unwrap();
    let reach: Vec<Option<Sphere>> = ["individual", "teammates", "cross_team", "org_wide", "nope"]
        .iter()
        .map(|p| multiplier_reach(dimension, p))
        .collect();
    assert_eq!(
        reach,
        [
            Some(Sphere::Own),
            Some(Sphere::Team),
            Some(Sphere::Group),
            Some(Sphere::Org),
            None
        ]
    );
    // Mentoring (a multiplier kind) at team level from two people; a group-level technical
    // kudos does not make others better.
    let mut items = vec![
        kudos(1, "U0BEN", Sphere::Team, &[]),
        kudos(2, "U0CAT", Sphere::Team, &[]),
        kudos(3, "U0DEV", Sphere::Group, &["technical"]),
    ];
    for i in &mut items[..2] {
        i.multiplier_kinds = vec!["mentoring".into()];
    }
    let helped = HashMap::new();
    let checks = |items: &[Item], point: &str| {
        let evidence = Evidence {
            items,
            helped: &helped,
        };
        check(&f, dimension, point, String::new(), &evidence, false).status
    };
    assert_eq!(
        checks(&items, "individual"),
        Status::Evidenced,
        "own output: any item"
    );
    assert_eq!(checks(&items, "teammates"), Status::Evidenced);
    assert_eq!(checks(&items, "cross_team"), Status::NotYet);
    assert_eq!(checks(&items, "org_wide"), Status::NotYet);
    // One mentoring item at org level: the whole organisation, partly.
    items.push(kudos(4, "U0EMI", Sphere::Org, &["leadership"]));
    assert_eq!(checks(&items, "org_wide"), Status::Partly);
    assert_eq!(checks(&items, "cross_team"), Status::Partly);
}

#[test]
fn unknown_spheres_never_count_as_reach() {
    let items = [
        kudos(1, "U0BEN", Sphere::Unknown, &["technical"]),
        kudos(2, "U0CAT", Sphere::Unknown, &["technical"]),
    ];
    let lens = lens(&framework(), &senior(), &items, &HashMap::new(), "Ana");
    assert_eq!(
        status(&row(&lens, Some("technical")).at_level, "sphere"),
        Status::NotYet
    );
}

#[test]
fn without_a_level_the_first_rung_is_read_and_the_note_says_how_to_set_one() {
    let lens = lens(
        &framework(),
        &Rung::default(),
        &ana(),
        &HashMap::new(),
        "Ana",
    );
    assert!(lens.assumed);
    assert_eq!(
        lens.level.as_ref().unwrap().id,
        "senior",
        "the first level of the first track"
    );
    assert_eq!(lens.next.as_ref().unwrap().id, "staff");
    let note = lens.note.unwrap();
    assert!(
        note.starts_with("No level is set for Ana") && note.contains("`track` and `level`"),
        "{note}"
    );
    // A manager's track without a level: its own first rung.
    let manager = Rung {
        track: Some("manager".into()),
        level: None,
    };
    let lens = super::lens(&framework(), &manager, &ana(), &HashMap::new(), "Ana");
    assert_eq!(lens.level.unwrap().id, "manager");
}

#[test]
fn an_unknown_level_is_named_in_the_note() {
    let rung = Rung {
        track: Some("ic".into()),
        level: Some("principal".into()),
    };
    let lens = lens(&framework(), &rung, &ana(), &HashMap::new(), "Ana");
    assert!(lens.assumed);
    assert!(lens
        .note
        .unwrap()
        .contains("'principal' is not a level of Individual contributor"));
}

#[test]
fn the_top_of_a_track_has_no_next_level() {
    let rung = Rung {
        track: Some("ic".into()),
        level: Some("staff".into()),
    };
    let lens = lens(&framework(), &rung, &ana(), &HashMap::new(), "Ana");
    assert!(lens.next.is_none());
    assert!(lens.rows.iter().all(|r| r.at_next.is_empty()));
    assert_eq!(
        one_line(&lens),
        "Against Staff engineer: sphere of influence evidenced, multiplier effect partly evidenced (the top of the track)"
    );
}

#[test]
fn a_framework_without_tracks_says_so() {
    let mut f = framework();
    f.tracks.clear();
    let lens = lens(&f, &senior(), &ana(), &HashMap::new(), "Ana");
    assert!(lens.rows.is_empty() && lens.level.is_none());
    assert!(lens.note.unwrap().contains("no tracks and levels"));
}

#[test]
fn a_logged_item_reaches_as_far_as_the_people_it_helped() {
    let place = |team: &str, group: &str| Placement {
        team: Some(team.into()),
        group: Some(group.into()),
        manager: None,
    };
    let ana = place("payments", "money");
    let emi = place("search", "discovery");
    let ben = place("payments", "money");
    assert_eq!(helped_reach(Some(&ana), &[Some(&ben)]), Sphere::Team);
    assert_eq!(
        helped_reach(Some(&ana), &[Some(&ben), Some(&emi), None]),
        Sphere::Org
    );
    assert_eq!(helped_reach(Some(&ana), &[None]), Sphere::Unknown);
    // Ana logged pairing with Emi (another group) and with someone else elsewhere: her own word
    // (one person), so the organisation-wide multiplier is partly evidenced, not evidenced.
    let mut logged = kudos(1, "U0ANA", Sphere::Own, &[]);
    logged.source = Source::SelfLogged;
    logged.multiplier_kinds = vec!["mentoring".into()];
    let mut again = logged.clone();
    again.id = "evidence:2".into();
    logged.id = "evidence:1".into();
    let helped = HashMap::from([
        ("evidence:1".to_owned(), Sphere::Org),
        ("evidence:2".to_owned(), Sphere::Org),
    ]);
    let items = [logged, again];
    let rung = Rung {
        track: Some("ic".into()),
        level: Some("senior".into()),
    };
    let with = lens(&framework(), &rung, &items, &helped, "Ana");
    assert_eq!(
        status(&row(&with, None).at_next, "multiplier"),
        Status::Partly
    );
    let without = lens(&framework(), &rung, &items, &HashMap::new(), "Ana");
    assert_eq!(
        status(&row(&without, None).at_next, "multiplier"),
        Status::NotYet
    );
}
