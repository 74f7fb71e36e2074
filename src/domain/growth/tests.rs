use super::*;
use chrono::TimeZone;

fn place(team: &str, group: &str) -> Placement {
    Placement {
        team: Some(team.into()).filter(|t: &String| !t.is_empty()),
        group: Some(group.into()).filter(|g: &String| !g.is_empty()),
        manager: None,
    }
}

#[test]
fn kudos_sphere_follows_the_org_chart() {
    let payments = place("payments", "money");
    let ledger = place("ledger", "money");
    let search = place("search", "discovery");
    let no_group = place("infra", "");
    let unplaced = Placement::default();
    for (giver, external, receiver, expected) in [
        (Some(&payments), false, Some(&payments), Sphere::Team),
        (Some(&ledger), false, Some(&payments), Sphere::Group),
        (Some(&search), false, Some(&payments), Sphere::Org),
        (Some(&no_group), false, Some(&payments), Sphere::Org),
        (Some(&search), true, Some(&payments), Sphere::External),
        (None, true, None, Sphere::External),
        (None, false, Some(&payments), Sphere::Unknown),
        (Some(&payments), false, None, Sphere::Unknown),
        (Some(&unplaced), false, Some(&payments), Sphere::Unknown),
        // Two teams with one name in two groups are two teams: another group, the org.
        (
            Some(&place("payments", "discovery")),
            false,
            Some(&payments),
            Sphere::Org,
        ),
        (
            Some(&place("payments", "")),
            false,
            Some(&payments),
            Sphere::Org,
        ),
    ] {
        assert_eq!(
            kudos_sphere(giver, external, receiver),
            expected,
            "{giver:?} {external} {receiver:?}"
        );
    }
}

fn at(day: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 9, day, 12, 0, 0).unwrap()
}

fn kudos(id: u32, giver: &str, sphere: Sphere, tags: &[&str]) -> Item {
    Item::sample_kudos(id, "U1", giver, sphere, tags, at(id))
}

fn logged(id: u32, sphere: Option<Sphere>, tags: &[&str], helped: &[&str]) -> Item {
    Item {
        id: format!("evidence:{id}"),
        source: Source::SelfLogged,
        author: "U1".into(),
        sphere: sphere.unwrap_or(Sphere::Own),
        declared: sphere.is_some(),
        people: helped.iter().map(|p| p.to_string()).collect(),
        visibility: Visibility::Private,
        ..kudos(id, "U1", Sphere::Own, tags)
    }
}

#[test]
fn reach_needs_two_items_from_two_people() {
    use Sphere::*;
    let cases: Vec<(Vec<Item>, Option<Sphere>)> = vec![
        (vec![], None),
        // One kudos is an anecdote.
        (vec![kudos(1, "U2", Org, &[])], None),
        // Two from the same person are still one voice.
        (
            vec![kudos(1, "U2", Org, &[]), kudos(2, "U2", Org, &[])],
            None,
        ),
        (
            vec![kudos(1, "U2", Org, &[]), kudos(2, "U3", Org, &[])],
            Some(Org),
        ),
        // Items above a level count for it.
        (
            vec![kudos(1, "U2", External, &[]), kudos(2, "U3", Team, &[])],
            Some(Team),
        ),
        // The subject's own items count as their word.
        (
            vec![logged(1, None, &[], &[]), logged(2, None, &[], &[])],
            None,
        ),
        (
            vec![logged(1, None, &[], &[]), kudos(2, "U2", Team, &[])],
            Some(Own),
        ),
        (
            vec![logged(1, Some(Group), &[], &[]), kudos(2, "U2", Org, &[])],
            Some(Group),
        ),
        // Unknown spheres reach nowhere.
        (
            vec![kudos(1, "U2", Unknown, &[]), kudos(2, "U3", Unknown, &[])],
            None,
        ),
    ];
    for (items, expected) in cases {
        let ids: Vec<_> = items.iter().map(|i| (i.id.clone(), i.sphere)).collect();
        assert_eq!(reach(&items), expected, "{ids:?}");
    }
}

fn framework() -> Framework {
    Framework::load("matrix-3x3").unwrap()
}

#[test]
fn a_summary_counts_each_item_once_per_dimension() {
    let f = framework();
    let multiplier_competency = f
        .competencies
        .iter()
        .find(|c| c.leans_on.iter().any(|d| d == "multiplier"))
        .unwrap()
        .id
        .clone();
    let plain = f
        .competencies
        .iter()
        .find(|c| !c.leans_on.iter().any(|d| d == "multiplier"))
        .unwrap()
        .id
        .clone();
    let mut mentoring = kudos(3, "U3", Sphere::Group, &[&plain]);
    mentoring.multiplier_kinds = vec!["mentoring".into()];
    let items = vec![
        kudos(1, "U2", Sphere::Team, &[&plain]),
        kudos(2, "U2", Sphere::Team, &[&multiplier_competency]),
        mentoring,
        kudos(4, "", Sphere::Unknown, &[]),
        logged(5, None, &[&multiplier_competency], &["U4", "U5", "U1"]),
        logged(6, Some(Sphere::Org), &[&plain], &["U6"]),
    ];
    let teams: HashMap<String, String> = [("U2", "a"), ("U3", "b"), ("U4", "a"), ("U5", "c")]
        .into_iter()
        .map(|(u, t)| (u.to_owned(), t.to_owned()))
        .collect();
    let s = summarize(
        &f,
        Evidence {
            subject: "U1",
            items,
            kudos_given: 2,
            teams: &teams,
        },
    );
    assert_eq!(
        s.counts,
        Counts {
            kudos_received: 4,
            kudos_given: 2,
            evidence: 2,
            reflections: 0
        }
    );
    assert_eq!(s.sphere.0, [1, 2, 1, 1, 0, 1]);
    assert_eq!(s.reach, Some(Sphere::Group));
    // Kudos 2 and 3 (from U2, U3) and item 5 (helping U4, U5; U1 is the subject).
    assert_eq!(s.multiplier.items, 3);
    assert_eq!(s.multiplier.people, 4);
    assert_eq!(s.multiplier.teams, 3);
    assert_eq!(s.multiplier.kinds.get("mentoring"), Some(&1));
    assert_eq!(
        s.givers,
        Givers {
            people: 2,
            teams: 2
        }
    );
    let p = s.competencies.iter().find(|c| c.id == plain).unwrap();
    assert_eq!((p.items, p.sphere.0), (3, [0, 1, 1, 1, 0, 0]));
    assert!(!s.gaps.contains(&plain) && !s.gaps.is_empty());
    assert_eq!(s.items[0].id, "evidence:6", "newest first");
    assert_eq!(highlights(&s, 3)[0].id, "evidence:6", "widest first");
}

#[test]
fn who_may_see_what() {
    let chain = vec!["UMGR".to_owned(), "UDIR".to_owned()];
    let person = |user: &str, admin| Viewer::Person {
        user: user.into(),
        admin,
    };
    assert_eq!(access(&person("U1", false), "U1", &chain), Ok(Access::Own));
    assert_eq!(
        access(&person("UMGR", false), "U1", &chain),
        Ok(Access::Manager)
    );
    assert_eq!(
        access(&person("UDIR", false), "U1", &chain),
        Ok(Access::Manager)
    );
    assert_eq!(
        access(&person("UADM", true), "U1", &chain),
        Ok(Access::Manager)
    );
    assert_eq!(access(&Viewer::ApiToken, "U1", &chain), Ok(Access::Manager));
    assert_eq!(access(&Viewer::Operator, "U1", &chain), Ok(Access::Own));
    assert!(access(&person("UPEER", false), "U1", &chain).is_err());
    assert!(!Access::Manager.sees(Visibility::Private));
    assert!(Access::Manager.sees(Visibility::Manager));
    assert!(Access::Own.sees(Visibility::Private));
}

#[test]
fn a_sphere_can_be_declared_in_text() {
    let f = Framework::load("career-steps").unwrap();
    for (text, rest, sphere) in [
        (
            "ran the review sphere:group for all",
            "ran the review for all",
            Some(Sphere::Group),
        ),
        ("sphere:TRIBE ran it", "ran it", Some(Sphere::Group)),
        ("ran it sphere:company.", "ran it", Some(Sphere::Org)),
        ("ran it", "ran it", None),
        ("spheres are fun", "spheres are fun", None),
    ] {
        assert_eq!(
            declared_in_text(&f, text),
            Ok((rest.to_owned(), sphere)),
            "{text}"
        );
    }
    let e = declared_in_text(&f, "sphere:galaxy big").unwrap_err();
    assert!(
        e.contains("`sphere:galaxy` is not a sphere level") && e.contains("`sphere:tribe`"),
        "{e}"
    );
    assert!(declared_in_text(&f, "sphere:team sphere:org").is_err());
}

#[test]
fn sphere_labels_are_the_frameworks_own() {
    let f = Framework::load("career-steps").unwrap();
    assert_eq!(Sphere::Team.label(&f), "Squad / chapter");
    assert_eq!(Sphere::Unknown.label(&f), "Unknown");
}

#[test]
fn a_team_is_seen_by_its_manager_those_above_and_admins_only() {
    let person = |user: &str, admin: bool| Viewer::Person {
        user: user.into(),
        admin,
    };
    let chain = ["U0DIR".to_owned()];
    assert!(team_access(&person("U0MIA", false), "U0MIA", &chain).is_ok());
    assert!(team_access(&person("U0DIR", false), "U0MIA", &chain).is_ok());
    assert!(team_access(&person("U0ADM", true), "U0MIA", &chain).is_ok());
    assert!(team_access(&Viewer::ApiToken, "U0MIA", &chain).is_ok());
    let refused = team_access(&person("U0DEV", false), "U0MIA", &chain).unwrap_err();
    assert_eq!(
        refused.to_string(),
        "Only <@U0MIA>, their own managers and admins can see <@U0MIA>'s team."
    );
}
