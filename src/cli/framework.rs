//! `cairn framework check | show | schema`: these need no database and no Slack; they read
//! files and print.

use crate::domain::framework::{self, Framework, FrameworkError};
use clap::Subcommand;
use std::process::ExitCode;

#[derive(Subcommand)]
pub enum FrameworkCommand {
    /// Validate a framework file: exit 0 if valid, 1 with every problem located if not
    Check {
        file: String,
        /// The version this file replaces (a built-in id or a file): nothing evidence refers
        /// to may disappear. A file with a built-in's id is compared with that built-in.
        #[arg(long)]
        previous: Option<String>,
    },
    /// Print a framework's competencies, multiplier kinds and tags: the active one (CAIRN_FRAMEWORK)
    /// or the named built-in or file
    Show {
        framework: Option<String>,
        #[arg(long, env = "CAIRN_FRAMEWORK", hide = true)]
        active: Option<String>,
    },
    /// Print the JSON Schema of framework files (for editors)
    Schema,
}

pub fn run(command: &FrameworkCommand) -> ExitCode {
    let result = match command {
        FrameworkCommand::Check { file, previous } => check(file, previous.as_deref()),
        FrameworkCommand::Show { framework, active } => {
            let spec = framework
                .as_deref()
                .or(active.as_deref())
                .unwrap_or(framework::DEFAULT_FRAMEWORK);
            Framework::load(spec).map(|f| print!("{}", f.outline()))
        }
        FrameworkCommand::Schema => {
            print!("{}", framework::json_schema());
            Ok(())
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{e}");
            ExitCode::from(super::USER_ERROR)
        }
    }
}

fn check(file: &str, previous: Option<&str>) -> Result<(), FrameworkError> {
    let f = Framework::from_file(file)?;
    let previous = match previous {
        Some(p) => Some(Framework::load(p)?),
        None => framework::builtin_ids()
            .into_iter()
            .find(|id| *id == f.id())
            .map(Framework::load)
            .transpose()?,
    };
    let problems = previous.map(|p| f.problems_against(&p)).unwrap_or_default();
    if problems.is_empty() {
        println!("{file}: valid ({})", f.counts());
        Ok(())
    } else {
        Err(FrameworkError::Invalid {
            source_name: file.to_owned(),
            problems,
        })
    }
}
