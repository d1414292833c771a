//! The command set: every header the instrument answers, its parameters, and
//! the [`Tree`] that resolves them.

use scpi_parser::{Param, Tree, TreeError, Unit};

/// Nodes in the instrument's command tree (built-ins included).
pub const TREE_NODES: usize = 64;

/// The instrument's command tree type.
pub type ElogTree = Tree<Command, TREE_NODES>;

/// One command of the instrument (what the [`Tree`] resolves a header to).
#[derive(Clone, Copy, Debug, Eq, Hash, PartialEq)]
#[non_exhaustive]
pub enum Command {
    /// `:ELOG:ITEMs "<channel>"[,…]`.
    Items,
    /// `:ELOG:ITEMs?`.
    ItemsQuery,
    /// `:ELOG:PERiod <seconds>`.
    Period,
    /// `:ELOG:PERiod?`.
    PeriodQuery,
    /// `:ELOG:CALCulations {AVG|MIN|MAX|RMS}[,…]`.
    Calculations,
    /// `:ELOG:CALCulations?`.
    CalculationsQuery,
    /// `:ELOG:FORMat {ASCII|BIN_INTEL|BIN_MOTOROLA}`.
    Format,
    /// `:ELOG:FORMat?`.
    FormatQuery,
    /// `:ELOG:TIMestamp {OFF|REL|ABS|ELOG}`.
    Timestamp,
    /// `:ELOG:TIMestamp?`.
    TimestampQuery,
    /// `:ELOG:STARt`.
    Start,
    /// `:ELOG:STOP`.
    Stop,
    /// `:ELOG:RESet`.
    Reset,
    /// `:ELOG:STATe?`.
    StateQuery,
    /// `:ELOG:FETCh? [<max records>]`.
    FetchQuery,
    /// `*VER?` in OXYGEN's shape.
    VersionQuery,
    /// `:CHANNELlist:NAMes?`.
    ChannelNamesQuery,
    /// `:CHANNELlist:IDs? ["<name>",…]`.
    ChannelIdsQuery,
    /// `:NUMeric:NORMal:ITEMs?` (always `NONE`: no numeric items).
    NumericItemsQuery,
    /// `:NUMeric:NORMal:NUMBer <n>`.
    NumericNumber,
    /// `:NUMeric:NORMal:NUMBer?`.
    NumericNumberQuery,
}

/// The calculation words of `:ELOG:CALCulations`, in [`elog_core::Calc::ALL`] order.
pub(crate) const CALC_WORDS: &[&str] = &["AVG", "MIN", "MAX", "RMS"];
/// The format words of `:ELOG:FORMat`, in [`elog_core::Format::ALL`] order.
/// All in capitals, as OXYGEN writes them: no short forms (`ASC` is refused).
pub(crate) const FORMAT_WORDS: &[&str] = &["ASCII", "BIN_INTEL", "BIN_MOTOROLA"];
/// The timestamp words of `:ELOG:TIMestamp`, in [`elog_core::TimestampMode::ALL`] order.
pub(crate) const TIMESTAMP_WORDS: &[&str] = &["OFF", "REL", "ABS", "ELOG"];

const ITEMS: &[Param] = &[Param::string_list()];
// Any number: the engine checks the range itself, after the state, so that
// RUNNING refuses with -221 whatever the value, and the refusal names the
// limit. `DEF` is the default period.
const PERIOD: &[Param] = &[Param::number(Unit::Second).default_value(0.1)];
const CALCS: &[Param] = &[Param::choice_list(CALC_WORDS)];
const FORMAT: &[Param] = &[Param::choice(FORMAT_WORDS)];
const TIMESTAMP: &[Param] = &[Param::choice(TIMESTAMP_WORDS)];
// Any number (`MAX` = +∞ = all): the handler answers every value; a count
// the parser refuses (a word, a number too large to read) is answered
// `ERROR` by the tree (`add_answering_refusal`), so no FETCh? is left
// without a line.
const FETCH: &[Param] = &[Param::number(Unit::None).optional()];
const NAMES: &[Param] = &[Param::string_list().optional()];
const NUMBER: &[Param] = &[Param::integer(0, 1_000_000)];

/// Every command: pattern, parameters, command.
const COMMANDS: &[(&str, &[Param], Command)] = &[
    (":ELOG:ITEMs", ITEMS, Command::Items),
    (":ELOG:ITEMs?", &[], Command::ItemsQuery),
    (":ELOG:PERiod", PERIOD, Command::Period),
    (":ELOG:PERiod?", &[], Command::PeriodQuery),
    (":ELOG:CALCulations", CALCS, Command::Calculations),
    (":ELOG:CALCulations?", &[], Command::CalculationsQuery),
    (":ELOG:FORMat", FORMAT, Command::Format),
    (":ELOG:FORMat?", &[], Command::FormatQuery),
    (":ELOG:TIMestamp", TIMESTAMP, Command::Timestamp),
    (":ELOG:TIMestamp?", &[], Command::TimestampQuery),
    (":ELOG:STARt", &[], Command::Start),
    (":ELOG:STOP", &[], Command::Stop),
    (":ELOG:RESet", &[], Command::Reset),
    (":ELOG:STATe?", &[], Command::StateQuery),
    (":ELOG:FETCh?", FETCH, Command::FetchQuery),
    ("*VER?", &[], Command::VersionQuery),
    (":CHANNELlist:NAMes?", &[], Command::ChannelNamesQuery),
    (":CHANNELlist:IDs?", NAMES, Command::ChannelIdsQuery),
    (":NUMeric:NORMal:ITEMs?", &[], Command::NumericItemsQuery),
    (":NUMeric:NORMal:NUMBer", NUMBER, Command::NumericNumber),
    (":NUMeric:NORMal:NUMBer?", &[], Command::NumericNumberQuery),
];

/// Builds the instrument's command tree (the built-ins of `scpi-parser` plus
/// every [`Command`]).
pub fn build_tree() -> Result<ElogTree, TreeError> {
    let mut tree = ElogTree::new_sized();
    for &(pattern, params, cmd) in COMMANDS {
        if cmd == Command::FetchQuery {
            tree.add_answering_refusal(pattern, params, cmd, "ERROR")?;
        } else {
            tree.add(pattern, params, cmd)?;
        }
    }
    Ok(tree)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tree_builds_and_fits() {
        let t = build_tree().unwrap();
        assert!(t.node_count() <= TREE_NODES);
    }
}
