//! The org chart's `track` and `level` columns, checked against the framework: a row naming a
//! track or level the framework does not have is rejected with the ones it does, so nothing
//! wrong is stored and the rest of the file still goes in.

use super::{OrgFile, RejectedRow};
use crate::domain::framework::Framework;

/// Checks each row's track and level. A level without a track names its track when exactly one
/// track has that level (the row is completed with it); a track without a level is kept (the
/// level lens then reads the person against the track's first level).
pub fn check_levels(file: OrgFile, framework: &Framework) -> OrgFile {
    let mut checked = OrgFile {
        rows: Vec::with_capacity(file.rows.len()),
        rejected: file.rejected,
    };
    for (row_number, mut row) in file.rows {
        match resolve(framework, row.track.as_deref(), row.level.as_deref()) {
            Ok(track) => {
                row.track = track;
                checked.rows.push((row_number, row));
            }
            Err(reason) => checked.rejected.push(RejectedRow {
                row: row_number,
                user_id: Some(row.user_id.as_str().to_owned()),
                reason,
            }),
        }
    }
    checked.rejected.sort_by_key(|r| r.row);
    checked
}

/// The row's track (completed from its level when that is unambiguous), or why it is refused.
fn resolve(
    framework: &Framework,
    track: Option<&str>,
    level: Option<&str>,
) -> Result<Option<String>, String> {
    let list = |ids: Vec<&str>| {
        if ids.is_empty() {
            "none".to_owned()
        } else {
            ids.join(", ")
        }
    };
    let tracks = || list(framework.tracks.iter().map(|t| t.id.as_str()).collect());
    match (track, level) {
        (None, None) => Ok(None),
        (Some(t), level) => {
            let Some(found) = framework.tracks.iter().find(|x| x.id == t) else {
                return Err(format!(
                    "track '{t}' is not in the framework {} (its tracks: {})",
                    framework.about.name,
                    tracks()
                ));
            };
            if let Some(l) = level {
                if !found.levels.iter().any(|x| x.id == l) {
                    return Err(format!(
                        "level '{l}' is not a level of track '{t}' (its levels: {})",
                        list(found.levels.iter().map(|x| x.id.as_str()).collect())
                    ));
                }
            }
            Ok(Some(t.to_owned()))
        }
        (None, Some(l)) => {
            let having: Vec<&str> = framework
                .tracks
                .iter()
                .filter(|t| t.levels.iter().any(|x| x.id == l))
                .map(|t| t.id.as_str())
                .collect();
            match having.as_slice() {
                [one] => Ok(Some((*one).to_owned())),
                [] => Err(format!(
                    "level '{l}' is not in the framework {} (its tracks: {}); add a track column and use one of its levels",
                    framework.about.name,
                    tracks()
                )),
                several => Err(format!(
                    "level '{l}' is in several tracks ({}); add a track column to say which",
                    several.join(", ")
                )),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::org::{read, OrgFormat};

    #[test]
    fn tracks_and_levels_are_checked_against_the_framework() {
        let mut f = Framework::load("matrix-3x3").unwrap();
        // A second track with a `senior` level, so a bare `senior` is ambiguous.
        let mut other = f.tracks[0].clone();
        other.id = "data".into();
        f.tracks.push(other);
        let text = "user_id,track,level\n\
                    U1,ic,senior\n\
                    U2,,senior_manager\n\
                    U3,ic,\n\
                    U4,,\n\
                    U5,ic,principal\n\
                    U6,design,senior\n\
                    U7,,senior\n\
                    U8,,wizard\n";
        let file = check_levels(read(text, OrgFormat::Csv).unwrap(), &f);
        let kept: Vec<(&str, Option<&str>, Option<&str>)> = file
            .rows
            .iter()
            .map(|(_, r)| (r.user_id.as_str(), r.track.as_deref(), r.level.as_deref()))
            .collect();
        assert_eq!(
            kept,
            [
                ("U1", Some("ic"), Some("senior")),
                ("U2", Some("manager"), Some("senior_manager")),
                ("U3", Some("ic"), None),
                ("U4", None, None),
            ]
        );
        let reasons: Vec<(usize, &str)> = file
            .rejected
            .iter()
            .map(|r| (r.row, r.reason.as_str()))
            .collect();
        assert_eq!(reasons.len(), 4, "{reasons:?}");
        assert_eq!(reasons[0].0, 6);
        assert!(
            reasons[0].1.contains(
                "level 'principal' is not a level of track 'ic' (its levels: senior, staff)"
            ),
            "{reasons:?}"
        );
        assert!(
            reasons[1]
                .1
                .contains("track 'design' is not in the framework")
                && reasons[1].1.contains("ic, manager, data"),
            "{reasons:?}"
        );
        assert!(
            reasons[2].1.contains("in several tracks (ic, data)"),
            "{reasons:?}"
        );
        assert!(
            reasons[3]
                .1
                .contains("level 'wizard' is not in the framework"),
            "{reasons:?}"
        );
    }
}
