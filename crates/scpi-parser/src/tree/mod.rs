//! The command tree: commands declared in SCPI pattern notation, resolved by
//! the short/long-form rule, optional nodes, numeric suffixes and the IEEE
//! 488.2 compound-path rule.
//!
//! Patterns look like `SYSTem:ERRor[:NEXT]?`, `[:SOURce]:VOLTage`,
//! `OUTPut#:STATe` (numeric suffix, any value ≥ 0) or `OUTPut#{1..4}:STATe`
//! (suffix range), `*VER?` (a common command). A trailing `?` declares the
//! query form; set and query forms of one header are two declarations.
//!
//! The tree is built once ([`Tree::add`]) into a fixed node array (no heap);
//! resolving a header walks it level by level, comparing only the children of
//! the current node — never all patterns.

use core::fmt;

use crate::error::{Error, code};
use crate::lexer::{Header, MAX_HEADER_DEPTH, MAX_MNEMONIC_LEN, is_ws};
use crate::mnemonic::{matches, short_len};
use crate::params::{MAX_PARAMS, Param};

mod index;
mod resolve;

pub use self::index::MAX_NODES;
use self::index::{HASH_SLOTS, NO_KEY, key, mnemonic_key, parse_elem, parse_u32, slot};

/// Index of a node; `ROOT` is the tree root.
pub(crate) type NodeId = u16;
pub(crate) const ROOT: NodeId = 0;
const NONE: NodeId = NodeId::MAX;

/// The most numeric suffixes one header may carry.
pub const MAX_SUFFIXES: usize = 4;
/// The most common (`*XXX`) commands a tree holds, built-ins included.
pub const MAX_COMMONS: usize = 32;

/// The commands this crate implements itself (IEEE 488.2 common commands,
/// the SCPI error queue, `SYSTem:VERSion?`, `COMMunicate:HEADer`).
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
pub(crate) enum Builtin {
    Cls,
    Ese,
    EseQ,
    EsrQ,
    IdnQ,
    Opc,
    OpcQ,
    Rst,
    Sre,
    SreQ,
    StbQ,
    TstQ,
    Wai,
    ErrNextQ,
    ErrCountQ,
    ErrAllQ,
    VersionQ,
    HeaderSet,
    HeaderQ,
}

/// What a resolved header runs.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Target<C> {
    Builtin(Builtin),
    Device(C),
}

/// A command form: what runs and what it takes.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Leaf<C> {
    pub(crate) target: Target<C>,
    pub(crate) params: &'static [Param],
    /// What a query answers when its parameters are refused (`None`: no line).
    pub(crate) refusal_answer: Option<&'static str>,
}

#[derive(Clone, Copy, Debug)]
struct Node<C> {
    word: &'static str,
    /// [`key`] of the short form.
    short_key: u128,
    /// [`key`] of the long form.
    long_key: u128,
    /// Whether this node or an ancestor takes a numeric suffix.
    suffix_in_chain: bool,
    parent: NodeId,
    first_child: NodeId,
    last_child: NodeId,
    next_sibling: NodeId,
    optional: bool,
    suffix: Option<(u32, u32)>,
    set: Option<Leaf<C>>,
    query: Option<Leaf<C>>,
}

impl<C: Copy> Node<C> {
    const EMPTY: Self = Self {
        word: "",
        short_key: NO_KEY,
        long_key: NO_KEY,
        suffix_in_chain: false,
        parent: NONE,
        first_child: NONE,
        last_child: NONE,
        next_sibling: NONE,
        optional: false,
        suffix: None,
        set: None,
        query: None,
    };

    fn leaf(&self, query: bool) -> Option<Leaf<C>> {
        if query { self.query } else { self.set }
    }

    /// The short/long-form rule: `k` is the [`key`] of the input mnemonic.
    #[inline]
    fn is_named(&self, k: u128) -> bool {
        k == self.long_key || k == self.short_key
    }
}

#[derive(Clone, Copy, Debug)]
struct Common<C> {
    name: &'static str,
    key: u128,
    set: Option<Leaf<C>>,
    query: Option<Leaf<C>>,
}

/// Why a command could not be added to a [`Tree`].
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
#[non_exhaustive]
pub enum TreeError {
    /// The pattern is not valid pattern notation.
    Pattern(&'static str),
    /// The node array (or the common-command table) is full.
    Full(&'static str),
    /// The same header form was declared twice.
    Duplicate(&'static str),
    /// A node clashes with a sibling (same short or long form, or the same
    /// word declared with different optional/suffix flags).
    Conflict(&'static str),
    /// The parameter declaration is invalid (more than [`MAX_PARAMS`] fixed
    /// parameters, or a list that is not last).
    Params(&'static str),
}

impl fmt::Display for TreeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Pattern(p) => write!(f, "invalid command pattern `{p}`"),
            Self::Full(p) => write!(f, "command tree full when adding `{p}`"),
            Self::Duplicate(p) => write!(f, "command `{p}` declared twice"),
            Self::Conflict(p) => write!(f, "command `{p}` clashes with a sibling node"),
            Self::Params(p) => write!(f, "invalid parameter declaration for `{p}`"),
        }
    }
}

impl core::error::Error for TreeError {}

/// Suffix values along a path, as `(node, value)` pairs.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct SuffixMap {
    pairs: [(NodeId, u32); MAX_SUFFIXES],
    len: u8,
}

impl SuffixMap {
    fn get(&self, node: NodeId) -> Option<u32> {
        self.pairs[..usize::from(self.len)]
            .iter()
            .find(|p| p.0 == node)
            .map(|p| p.1)
    }

    fn push(&mut self, node: NodeId, v: u32) -> Result<(), BadSuffix> {
        let slot = self.pairs.get_mut(usize::from(self.len)).ok_or(BadSuffix)?;
        *slot = (node, v);
        self.len += 1;
        Ok(())
    }
}

/// The numeric suffix values of a resolved header, root first (one per node
/// declared with `#`; 1 where the header left it out).
#[derive(Clone, Copy, Debug, Default, Eq, PartialEq)]
pub struct Suffixes {
    values: [u32; MAX_SUFFIXES],
    len: u8,
}

impl Suffixes {
    /// The suffix values, root first.
    pub fn as_slice(&self) -> &[u32] {
        &self.values[..usize::from(self.len)]
    }

    /// Suffix `i` (root first), or 1 when the header has fewer.
    pub fn get(&self, i: usize) -> u32 {
        self.as_slice().get(i).copied().unwrap_or(1)
    }
}

/// A resolved header.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Resolved<C> {
    pub(crate) leaf: Leaf<C>,
    pub(crate) node: NodeId,
    pub(crate) suffixes: Suffixes,
    /// The path for the next unit: the leaf's parent and its suffixes.
    pub(crate) next_path: Path,
}

/// The current header path of a session (IEEE 488.2 §7.6.1.3).
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Path {
    pub(crate) node: NodeId,
    pub(crate) suffixes: SuffixMap,
}

/// A command tree for commands identified by `C` (usually a device's enum),
/// holding at most `N` nodes (`16 <= N <= MAX_NODES`, checked at compile
/// time).
///
/// Resolving a mnemonic is one probe in a hashed index of every node's short
/// and long form under its parent, so the cost does not grow with the number
/// of commands.
///
/// [`Tree::new`] already holds the built-in commands: the 13 IEEE 488.2
/// common commands, `SYSTem:ERRor[:NEXT]?`, `SYSTem:ERRor:COUNt?`,
/// `SYSTem:ERRor:ALL?`, `SYSTem:VERSion?` and `COMMunicate:HEADer[?]`.
///
/// ```
/// use scpi_parser::{Param, Tree, Unit};
/// #[derive(Clone, Copy, Debug)]
/// enum Cmd { Volt, VoltQ }
/// // Parameter lists are `'static`: declare them as constants.
/// const VOLT: &[Param] = &[Param::number(Unit::Volt).range(0.0, 10.0)];
/// let mut tree = Tree::new();
/// tree.add("[:SOURce]:VOLTage[:LEVel]", VOLT, Cmd::Volt).unwrap();
/// tree.add("[:SOURce]:VOLTage[:LEVel]?", &[], Cmd::VoltQ).unwrap();
/// ```
#[derive(Clone, Debug)]
pub struct Tree<C, const N: usize = 128> {
    nodes: [Node<C>; N],
    /// Open-addressing index `(parent, key) → node` over every node's short
    /// and long form: one probe sequence per mnemonic, no sibling scan.
    index: [NodeId; HASH_SLOTS],
    len: usize,
    commons: [Common<C>; MAX_COMMONS],
    commons_len: usize,
}

impl<C: Copy> Tree<C> {
    /// A tree of the default capacity (128 nodes) with the built-in commands.
    pub fn new() -> Self {
        Self::new_sized()
    }
}

impl<C: Copy> Default for Tree<C> {
    fn default() -> Self {
        Self::new()
    }
}

const BUILTINS: [(&str, &[Param], Builtin); 19] = [
    ("*CLS", &[], Builtin::Cls),
    ("*ESE", &[Param::integer(0, 255)], Builtin::Ese),
    ("*ESE?", &[], Builtin::EseQ),
    ("*ESR?", &[], Builtin::EsrQ),
    ("*IDN?", &[], Builtin::IdnQ),
    ("*OPC", &[], Builtin::Opc),
    ("*OPC?", &[], Builtin::OpcQ),
    ("*RST", &[], Builtin::Rst),
    ("*SRE", &[Param::integer(0, 255)], Builtin::Sre),
    ("*SRE?", &[], Builtin::SreQ),
    ("*STB?", &[], Builtin::StbQ),
    ("*TST?", &[], Builtin::TstQ),
    ("*WAI", &[], Builtin::Wai),
    ("SYSTem:ERRor[:NEXT]?", &[], Builtin::ErrNextQ),
    ("SYSTem:ERRor:COUNt?", &[], Builtin::ErrCountQ),
    ("SYSTem:ERRor:ALL?", &[], Builtin::ErrAllQ),
    ("SYSTem:VERSion?", &[], Builtin::VersionQ),
    (
        "COMMunicate:HEADer",
        &[Param::boolean()],
        Builtin::HeaderSet,
    ),
    ("COMMunicate:HEADer?", &[], Builtin::HeaderQ),
];

impl<C: Copy, const N: usize> Tree<C, N> {
    /// A tree of capacity `N` nodes with the built-in commands.
    ///
    /// # Panics
    /// Never for `N >= 16` (the built-ins need 11 nodes); a smaller `N` is a
    /// compile-time error.
    pub fn new_sized() -> Self {
        const { assert!(N >= 16, "a command tree needs at least 16 nodes") };
        const { assert!(N <= MAX_NODES, "a command tree holds at most 384 nodes") };
        let mut t = Self {
            nodes: [Node::EMPTY; N],
            index: [NONE; HASH_SLOTS],
            len: 1,
            commons: [Common {
                name: "",
                key: NO_KEY,
                set: None,
                query: None,
            }; MAX_COMMONS],
            commons_len: 0,
        };
        for (pattern, params, b) in BUILTINS {
            // The built-in patterns are valid and fit: N >= 16 and
            // MAX_COMMONS >= 13 (checked by the unit tests).
            let _ = t.insert(pattern, params, Target::Builtin(b), None);
        }
        t
    }

    /// Declares command `cmd` with header `pattern` and parameters `params`.
    pub fn add(
        &mut self,
        pattern: &'static str,
        params: &'static [Param],
        cmd: C,
    ) -> Result<(), TreeError> {
        self.insert(pattern, params, Target::Device(cmd), None)
    }

    /// Declares query `cmd` like [`add`](Self::add), and says what it answers
    /// when its parameters are refused before the handler runs (a wrong type,
    /// an out-of-range number, a number too large to read, an unknown word):
    /// the `answer` text (e.g. `ERROR`) as its response unit, the standard
    /// error still going to the queue. A client waiting for the query's line
    /// then always gets one. The pattern must be a query (`…?`) and `answer`
    /// a single line of printable ASCII without `;`.
    pub fn add_answering_refusal(
        &mut self,
        pattern: &'static str,
        params: &'static [Param],
        cmd: C,
        answer: &'static str,
    ) -> Result<(), TreeError> {
        if !pattern.trim().ends_with('?')
            || answer.is_empty()
            || !answer.bytes().all(|b| b.is_ascii_graphic() && b != b';')
        {
            return Err(TreeError::Pattern(pattern));
        }
        self.insert(pattern, params, Target::Device(cmd), Some(answer))
    }

    /// How many nodes are used (root included).
    pub fn node_count(&self) -> usize {
        self.len
    }

    fn insert(
        &mut self,
        pattern: &'static str,
        params: &'static [Param],
        target: Target<C>,
        refusal_answer: Option<&'static str>,
    ) -> Result<(), TreeError> {
        check_params(pattern, params)?;
        let leaf = Leaf {
            target,
            params,
            refusal_answer,
        };
        let body = pattern.trim();
        let (body, query) = match body.strip_suffix('?') {
            Some(b) => (b, true),
            None => (body, false),
        };
        if let Some(name) = body.strip_prefix('*') {
            if name.is_empty()
                || name.len() > MAX_MNEMONIC_LEN
                || !name.bytes().all(|b| b.is_ascii_alphabetic())
            {
                return Err(TreeError::Pattern(pattern));
            }
            let existing = self.commons[..self.commons_len]
                .iter()
                .position(|c| c.name.eq_ignore_ascii_case(name));
            let idx = match existing {
                Some(i) => i,
                None => {
                    if self.commons_len == MAX_COMMONS {
                        return Err(TreeError::Full(pattern));
                    }
                    self.commons[self.commons_len] = Common {
                        name,
                        key: key(name.as_bytes()),
                        set: None,
                        query: None,
                    };
                    self.commons_len += 1;
                    self.commons_len - 1
                }
            };
            let slot = if query {
                &mut self.commons[idx].query
            } else {
                &mut self.commons[idx].set
            };
            if slot.is_some() {
                return Err(TreeError::Duplicate(pattern));
            }
            *slot = Some(leaf);
            return Ok(());
        }
        let mut rest = body.strip_prefix(':').unwrap_or(body);
        let mut node = ROOT;
        let mut depth = 0;
        loop {
            let (optional, elem, after) = if let Some(r) = rest.strip_prefix('[') {
                let r = r.strip_prefix(':').unwrap_or(r);
                let end = r.find(']').ok_or(TreeError::Pattern(pattern))?;
                (true, &r[..end], &r[end + 1..])
            } else {
                let end = rest.find([':', '[']).unwrap_or(rest.len());
                (false, &rest[..end], &rest[end..])
            };
            let (word, suffix) = parse_elem(elem).ok_or(TreeError::Pattern(pattern))?;
            depth += 1;
            if depth > MAX_HEADER_DEPTH {
                return Err(TreeError::Pattern(pattern));
            }
            node = self.child_or_insert(node, word, optional, suffix, pattern)?;
            if after.is_empty() {
                break;
            }
            rest = match after.strip_prefix(':') {
                Some(r) if !r.is_empty() => r,
                Some(_) => return Err(TreeError::Pattern(pattern)),
                None if after.starts_with('[') => after,
                None => return Err(TreeError::Pattern(pattern)),
            };
        }
        let n = &mut self.nodes[usize::from(node)];
        let slot = if query { &mut n.query } else { &mut n.set };
        if slot.is_some() {
            return Err(TreeError::Duplicate(pattern));
        }
        *slot = Some(leaf);
        Ok(())
    }

    fn children(&self, parent: NodeId) -> Children<'_, C, N> {
        Children {
            tree: self,
            next: self.nodes[usize::from(parent)].first_child,
        }
    }

    fn child_or_insert(
        &mut self,
        parent: NodeId,
        word: &'static str,
        optional: bool,
        suffix: Option<(u32, u32)>,
        pattern: &'static str,
    ) -> Result<NodeId, TreeError> {
        let wb = word.as_bytes();
        let short = &wb[..short_len(wb)];
        for c in self.children(parent) {
            let n = &self.nodes[usize::from(c)];
            if n.word.eq_ignore_ascii_case(word) {
                if n.optional != optional || n.suffix != suffix {
                    return Err(TreeError::Conflict(pattern));
                }
                return Ok(c);
            }
            if matches(n.word, short) || matches(n.word, wb) {
                return Err(TreeError::Conflict(pattern));
            }
        }
        if self.len == N || self.len >= usize::from(NONE) {
            return Err(TreeError::Full(pattern));
        }
        let id = self.len as NodeId;
        self.len += 1;
        let suffix_in_chain = suffix.is_some() || self.nodes[usize::from(parent)].suffix_in_chain;
        self.nodes[usize::from(id)] = Node {
            word,
            short_key: key(short),
            long_key: key(wb),
            suffix_in_chain,
            parent,
            optional,
            suffix,
            ..Node::EMPTY
        };
        let p = &mut self.nodes[usize::from(parent)];
        if p.first_child == NONE {
            p.first_child = id;
        } else {
            let last = p.last_child;
            self.nodes[usize::from(last)].next_sibling = id;
        }
        self.nodes[usize::from(parent)].last_child = id;
        let (sk, lk) = (key(short), key(wb));
        for k in [lk, sk] {
            if k != NO_KEY {
                let mut i = slot(parent, k);
                while self.index[i] != NONE {
                    i = (i + 1) & (HASH_SLOTS - 1);
                }
                self.index[i] = id;
            }
            if sk == lk {
                break;
            }
        }
        Ok(id)
    }

    /// Finds the child of `parent` that mnemonic `m` names.
    #[inline(always)]
    fn find_child(
        &self,
        parent: NodeId,
        m: &[u8],
        explicit: &mut SuffixMap,
    ) -> Result<Option<NodeId>, BadSuffix> {
        let mk = key(m);
        if let Some(id) = self.lookup(parent, mk, false) {
            return Ok(Some(id));
        }
        let digits = m.iter().rev().take_while(|c| c.is_ascii_digit()).count();
        if digits == 0 {
            // A suffix node named without its suffix (suffix 1).
            return Ok(self.lookup(parent, mk, true));
        }
        let alpha = &m[..m.len() - digits];
        let ak = key(alpha);
        if let Some(id) = self.lookup(parent, ak, true) {
            let (lo, hi) = self.nodes[usize::from(id)].suffix.unwrap_or((0, u32::MAX));
            let v = parse_u32(&m[alpha.len()..])
                .filter(|v| (lo..=hi).contains(v))
                .ok_or(BadSuffix)?;
            explicit.push(id, v)?;
            return Ok(Some(id));
        }
        if self.lookup(parent, ak, false).is_some() {
            return Err(BadSuffix);
        }
        Ok(None)
    }
}

/// Iterator over the children of a node.
struct Children<'t, C, const N: usize> {
    tree: &'t Tree<C, N>,
    next: NodeId,
}

impl<C, const N: usize> Iterator for Children<'_, C, N> {
    type Item = NodeId;

    fn next(&mut self) -> Option<NodeId> {
        if self.next == NONE {
            return None;
        }
        let id = self.next;
        self.next = self.tree.nodes[usize::from(id)].next_sibling;
        Some(id)
    }
}

/// A numeric header suffix that does not fit (reported as `-114`).
#[derive(Clone, Copy, Debug)]
struct BadSuffix;

fn check_params(pattern: &'static str, params: &'static [Param]) -> Result<(), TreeError> {
    for (i, p) in params.iter().enumerate() {
        if p.kind().is_list() && i + 1 != params.len() {
            return Err(TreeError::Params(pattern));
        }
        if !p.kind().is_list() && i >= MAX_PARAMS {
            return Err(TreeError::Params(pattern));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
