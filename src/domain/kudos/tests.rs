use super::*;
use crate::domain::framework::Framework;

fn tags() -> TagIndex {
    TagIndex::new(&Framework::load("matrix-3x3").unwrap())
}

fn giver() -> UserId {
    UserId::parse("U0GIVER").unwrap()
}

fn ok(text: &str) -> KudosDraft {
    parse(&giver(), text, &tags(), KudosRules::default()).unwrap()
}

fn problems(text: &str) -> Vec<Problem> {
    parse(&giver(), text, &tags(), KudosRules::default())
        .unwrap_err()
        .problems
}

#[test]
fn a_log_entry_needs_no_recipient_and_mentions_are_people_helped() {
    let d = parse_log(
        &giver(),
        "#leadership ran the incident review with <@U0ANA> and <@U0GIVER> for three teams",
        &tags(),
        KudosRules::default(),
    )
    .unwrap();
    assert_eq!(d.people, [UserId::parse("U0ANA").unwrap()]);
    assert_eq!(d.competencies, ["leadership"]);
    assert_eq!(
        d.message,
        "ran the incident review with <@U0ANA> and <@U0GIVER> for three teams"
    );
    let err = parse_log(&giver(), "#leadrship", &tags(), KudosRules::default()).unwrap_err();
    assert!(matches!(err.problems[0], Problem::UnknownTag(_)));
    assert_eq!(err.problems[1], Problem::EmptyMessage);
}

#[test]
fn user_groups_add_their_members_but_not_the_giver() {
    let mut d = ok("<!subteam^S0DEVS|@devs> <@U0ANA> #technical shipped the migration");
    assert!(d.recipients.len() == 1 && d.groups.len() == 1);
    let u = |s: &str| UserId::parse(s).unwrap();
    let members = vec![Some(vec![u("U0GIVER"), u("U0ANA"), u("U0BEN")])];
    assert!(add_group_members(&mut d, &giver(), &members).is_empty());
    assert_eq!(d.recipients, [u("U0ANA"), u("U0BEN")]);
    assert_eq!(d.message, "shipped the migration");
}

#[test]
fn a_big_or_unknown_group_is_refused_with_its_name() {
    let u = |i: usize| UserId::parse(&format!("U0P{i:03}")).unwrap();
    let mut d = ok("<!subteam^S0ALL|@everyone-eng> #values thanks all");
    let problems = add_group_members(&mut d, &giver(), &[Some((0..34).map(u).collect())]);
    assert_eq!(problems[0].to_string(), "@everyone-eng has 34 people besides you; a kudos can name at most 20. Mention the people themselves.");
    let mut d = ok("<!subteam^S0X> #values thanks all");
    let problems = add_group_members(&mut d, &giver(), &[None]);
    assert_eq!(
        problems[0].to_string(),
        "I couldn't find out who is in S0X just now. Mention the people themselves, or try again."
    );
    // A group of only the giver leaves nobody to thank.
    let mut d = ok("<!subteam^S0ME|@me> #values thanks");
    assert_eq!(
        add_group_members(&mut d, &giver(), &[Some(vec![giver()])]),
        [Problem::NoRecipient]
    );
}

#[test]
fn the_form_puts_each_problem_next_to_its_field() {
    let form = KudosForm {
        recipients: vec![giver()],
        message: "   ".into(),
        ..KudosForm::default()
    };
    let problems = check_form(&giver(), form, KudosRules::default()).unwrap_err();
    let fields: Vec<Field> = problems.iter().map(|(f, _)| *f).collect();
    assert_eq!(fields, [Field::Recipients, Field::Tags, Field::Message]);
    assert!(problems[0].1.contains("yourself"));
}

#[test]
fn the_form_keeps_plain_text_as_text() {
    let form = KudosForm {
        recipients: vec![
            UserId::parse("U0ANA").unwrap(),
            UserId::parse("U0ANA").unwrap(),
        ],
        competencies: vec!["technical".into()],
        multiplier_kinds: vec![],
        message: " fixed <!channel> & the deploy — thanks :tada: ".into(),
    };
    let d = check_form(&giver(), form, KudosRules::default()).unwrap();
    assert_eq!(d.recipients.len(), 1);
    assert_eq!(
        d.message,
        "fixed &lt;!channel&gt; &amp; the deploy — thanks :tada:"
    );
}

#[test]
fn the_issue_example_parses() {
    let d = ok("<@U0ANA> <@U0BEN|ben> #technical #mentoring paired with me on the flaky deploy test until it was green");
    assert_eq!(
        d.recipients,
        [
            UserId::parse("U0ANA").unwrap(),
            UserId::parse("U0BEN").unwrap()
        ]
    );
    assert_eq!(d.competencies, ["technical"]);
    assert_eq!(d.multiplier_kinds, ["mentoring"]);
    assert_eq!(
        d.message,
        "paired with me on the flaky deploy test until it was green"
    );
}

#[test]
fn tags_and_mentions_anywhere() {
    let d = ok("fixed the deploy #Technical in an hour <@U0ANA> #unblocking");
    assert_eq!(d.message, "fixed the deploy in an hour");
    assert_eq!(d.competencies, ["technical"]);
    assert_eq!(d.multiplier_kinds, ["unblocking"]);
}

#[test]
fn inline_mentions_stay_in_the_message_and_count() {
    let d = ok("#values thanks to <@U0ANA> for covering on-call");
    assert_eq!(d.recipients, [UserId::parse("U0ANA").unwrap()]);
    assert_eq!(d.message, "thanks to <@U0ANA> for covering on-call");
}

#[test]
fn channel_links_are_tags() {
    let d = ok("<@U0ANA> <#C0TECH|technical> great review");
    assert_eq!(d.competencies, ["technical"]);
    assert_eq!(d.message, "great review");
}

#[test]
fn a_channel_link_named_with_no_word_is_not_an_empty_tag() {
    // Found by the property tests: `<#C1|#>` was "I don't know the tag #.", naming nothing.
    for link in ["<#C1|#>", "<#C1|## >"] {
        assert_eq!(
            problems(&format!("<@U0ANA> {link} thanks")),
            [Problem::ChannelLinkWithoutName],
            "{link}"
        );
    }
}

#[test]
fn repeated_recipients_and_tags_count_once() {
    let d = ok("<@U0ANA> <@U0ANA|ana> #technical #tech thanks");
    assert_eq!(d.recipients.len(), 1);
    assert_eq!(d.competencies, ["technical"]);
}

#[test]
fn numbers_and_csharp_are_not_tags() {
    let d = ok("<@U0ANA> #technical you're #1 at C# and issue#12");
    assert_eq!(d.message, "you're #1 at C# and issue#12");
}

#[test]
fn escaped_text_stays_escaped_on_the_wire() {
    let d = ok("<@U0ANA> #technical fixed a &lt;script&gt; &amp; more");
    assert_eq!(d.message, "fixed a &lt;script&gt; &amp; more");
}

#[test]
fn refuses_each_bad_input_with_what_to_fix() {
    assert_eq!(problems("#technical thanks"), [Problem::NoRecipient]);
    assert_eq!(problems("<@U0GIVER> #technical me"), [Problem::SelfKudos]);
    assert_eq!(problems("<@U0ANA> #technical"), [Problem::EmptyMessage]);
    assert!(matches!(
        problems("<@U0ANA> thanks").as_slice(),
        [Problem::MissingCompetency { .. }]
    ));
    match problems("<@U0ANA> #tecnical thanks").as_slice() {
        [Problem::UnknownTag(u)] => assert_eq!(u.suggestions[0], "technical"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn lists_every_problem_at_once() {
    let p = problems("#nope");
    assert_eq!(p.len(), 3, "{p:?}");
    assert_eq!(p[0], Problem::NoRecipient);
    assert!(matches!(p[1], Problem::UnknownTag(_)));
    assert_eq!(p[2], Problem::EmptyMessage);
}

#[test]
fn bots_and_people_who_left_are_refused() {
    let d = ok("<@U0BOT> <@U0GONE> <@U0ANA> <@U0NEW> #values thanks");
    let facts = |u: &UserId| match u.as_str() {
        "U0BOT" => Some(RecipientFacts {
            is_bot: true,
            deleted: false,
        }),
        "U0GONE" => Some(RecipientFacts {
            is_bot: false,
            deleted: true,
        }),
        "U0ANA" => Some(RecipientFacts {
            is_bot: false,
            deleted: false,
        }),
        _ => None,
    };
    let problems = check_recipients(&d, facts);
    assert_eq!(
        problems,
        [
            Problem::Bot(UserId::parse("U0BOT").unwrap()),
            Problem::Deactivated(UserId::parse("U0GONE").unwrap())
        ]
    );
    assert_eq!(
        problems[0].to_string(),
        "<@U0BOT> is an app, not a person: kudos are for people."
    );
}

#[test]
fn competency_can_be_optional() {
    let rules = KudosRules {
        require_competency: false,
    };
    let d = parse(&giver(), "<@U0ANA> thanks!", &tags(), rules).unwrap();
    assert!(d.competencies.is_empty());
}

#[test]
fn caps_recipients() {
    let many: String = (0..21).map(|i| format!("<@U0P{i:02}> ")).collect();
    let p = problems(&format!("{many} #technical thanks all"));
    assert_eq!(p, [Problem::TooManyRecipients(21)]);
}

#[test]
fn explanation_names_the_fix_and_valid_tags() {
    let err = parse(
        &giver(),
        "<@U0ANA> #tecnical thanks",
        &tags(),
        KudosRules::default(),
    )
    .unwrap_err();
    let text = err.explain();
    assert!(
        text.contains("I don't know the tag #tecnical. Did you mean #technical?"),
        "{text}"
    );
    assert!(
        text.contains("Valid tags: #values #technical #leadership #mentoring"),
        "{text}"
    );
}
